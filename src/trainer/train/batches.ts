/**
 * Turns tokenised examples into padded batches: seeded shuffling each epoch, padding to the
 * longest example of the batch (not to the max length), and optional grouping of similar lengths
 * so that little compute goes to padding.
 */
import { shuffleInPlace } from '../data/split';
import { Random } from '../util/random';
import type { Batch } from '../step/batch';

export interface Example {
  inputIds: number[];
  tokenTypeIds: number[];
  /** Single-label: the class id; other tasks: 0. */
  label: number;
  /** Multi-label: 0/1 per label; regression: [the value]. */
  target?: number[];
  /** 1-based line in the data file. */
  line: number;
}

/** How many batches' worth of examples are sorted by length together when grouping. */
const GROUP_WINDOW_BATCHES = 50;

export function padBatch(examples: Example[], padId: number): Batch {
  const len = Math.max(...examples.map(e => e.inputIds.length));
  const pad = (xs: number[], v: number) => [...xs, ...new Array(len - xs.length).fill(v)];
  return {
    inputIds: examples.map(e => pad(e.inputIds, padId)),
    tokenTypeIds: examples.map(e => pad(e.tokenTypeIds, 0)),
    attentionMask: examples.map(e =>
      pad(
        e.inputIds.map(() => 1),
        0,
      ),
    ),
    labels: examples.map(e => e.label),
    targets: examples[0]?.target ? examples.map(e => e.target!) : undefined,
    rows: examples.map(e => e.line),
  };
}

/**
 * The order of examples for one epoch, as indices: shuffled with a seed derived from the run's
 * seed and the epoch (so a resumed run gets the same order), then, if asked, sorted by length
 * within windows and the batches of each window shuffled.
 */
export function epochOrder(
  count: number,
  options: { seed: number; epoch: number; shuffle: boolean; groupByLength?: { lengths: number[]; batchSize: number } },
): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (!options.shuffle) return order;
  const random = new Random((options.seed * 1000003 + options.epoch * 7919) >>> 0);
  shuffleInPlace(order, random);
  const g = options.groupByLength;
  if (!g) return order;
  const window = g.batchSize * GROUP_WINDOW_BATCHES;
  const out: number[] = [];
  for (let start = 0; start < order.length; start += window) {
    const chunk = order.slice(start, start + window).sort((a, b) => g.lengths[b] - g.lengths[a]);
    const batches: number[][] = [];
    for (let i = 0; i < chunk.length; i += g.batchSize) batches.push(chunk.slice(i, i + g.batchSize));
    out.push(...shuffleInPlace(batches, random).flat());
  }
  return out;
}

export function batchesOf(examples: Example[], order: number[], batchSize: number, padId: number): Batch[] {
  // A size below 1 would never advance: refuse it rather than loop, whoever passed it.
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a whole number of at least 1, not ${batchSize}`);
  const out: Batch[] = [];
  for (let i = 0; i < order.length; i += batchSize)
    out.push(
      padBatch(
        order.slice(i, i + batchSize).map(j => examples[j]),
        padId,
      ),
    );
  return out;
}
