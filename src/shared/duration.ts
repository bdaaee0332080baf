/**
 * Durations as the extension and its panels write them, declared once. The value is rounded to
 * the unit shown before it is split, so the carries come out right: 119.6 s is "2 min 0 s",
 * never "1 min 60 s", and 3599 s is "1 h 0 min", never "59 min 59 s" rounded to "60 min".
 */

/** "42 s", "2 min 5 s", "3 h 10 min": an elapsed time or an ETA as it counts. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  if (total < 3600) return `${Math.floor(total / 60)} min ${total % 60} s`;
  const minutes = Math.round(total / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "about 40 s", "12 min", "1 h 5 min": an estimate, no finer than a minute once it is one. */
export function formatEstimate(seconds: number): string {
  if (seconds < 59.5) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
