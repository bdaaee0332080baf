/**
 * A seeded, stratified train/validation split: each class with at least two rows gets its share
 * of validation rows (at least one, never all), so every class is seen on both sides.
 */
import { Random } from '../util/random';

export function shuffleInPlace<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export function stratifiedSplit<T>(rows: T[], labelOf: (row: T) => string, fraction: number, seed: number): { train: T[]; validation: T[] } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`the validation fraction must be between 0 and 1, not ${fraction}`);
  const random = new Random(seed);
  const byLabel = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const l = labelOf(r);
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l)!.push(i);
  });
  const validation = new Set<number>();
  for (const label of [...byLabel.keys()].sort()) {
    const idx = shuffleInPlace(byLabel.get(label)!, random);
    if (idx.length < 2) continue;
    const n = Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * fraction)));
    idx.slice(0, n).forEach(i => validation.add(i));
  }
  // Keep file order on both sides: reproducible, and readable when rows are listed.
  return { train: rows.filter((_, i) => !validation.has(i)), validation: rows.filter((_, i) => validation.has(i)) };
}
