/**
 * Whether a run fits the machine's memory, said before it starts: the trainer measures its
 * memory while it times a step for the estimate, adds what training holds later, and the
 * extension (at the estimate) and the CLI (a warning) say which setting to lower.
 */

/**
 * The run's peak: the process's resident memory after a timed forward and backward pass (the
 * model, its gradients, a pass's activations, the workers' heaps at the size they keep), plus
 * AdamW's two moments (allocated, but untouched pages are not resident until the first update).
 * Evaluation (in passes no larger than training's) and checkpoints (streamed, a tensor at a
 * time) add next to nothing.
 */
export function estimatePeakMemory(measuredRssBytes: number, parameters: number): number {
  // Measured here on the WASM backend (`npm run bench:memory`: batch 16 × 128 tokens, 10 steps
  // with 2 evaluations and 3 saves, the peak polled every 20 ms): the resident memory after the
  // timed step plus the moments came to 0.94–1.00 of the real peak (L2/H128 0.60 vs 0.64 GB,
  // L4/H512 1.51 vs 1.52, bert-base 4.42 vs 4.42); a few percent more covers the rest.
  return RSS_GROWTH * measuredRssBytes + 8 * parameters;
}

const RSS_GROWTH = 1.05;

const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GB`;

/**
 * A warning when the peak is over what the machine has for the trainer (its own memory now plus
 * the free memory), naming the settings that lower it; undefined when it fits.
 */
export function describeMemoryShortfall(peakBytes: number, availableBytes: number): string | undefined {
  if (peakBytes <= availableBytes) return undefined;
  return (
    `This run needs about ${gb(peakBytes)} of memory at its peak, and ${gb(availableBytes)} are available: it would swap or be killed. ` +
    'Lower the batch size (with gradient accumulation to keep the effective batch), the max length, or freeze layers / train only the head; or close other programs.'
  );
}
