/**
 * When a dataset's labels are too uneven for plain accuracy and an unweighted loss: the trainer
 * warns with it (log, CLI) and the extension says it at the estimate, before training starts.
 */
import { count } from './words';

/** The smallest class under this share of the largest counts as imbalanced (1 : 5). */
export const IMBALANCE_RATIO = 0.2;

/**
 * A sentence on an imbalanced label count, with what to do; undefined when the labels are even
 * enough or the run already weights them.
 */
export function describeImbalance(labelCounts: readonly (readonly [string, number])[], classWeights: unknown, metricForBest: string): string | undefined {
  if (labelCounts.length < 2) return undefined;
  const sorted = [...labelCounts].sort((a, b) => b[1] - a[1]);
  const [largest, smallest] = [sorted[0], sorted.at(-1)!];
  if (largest[1] === 0 || smallest[1] / largest[1] >= IMBALANCE_RATIO) return undefined;
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  const share = (n: number) => `${Math.round((100 * n) / Math.max(1, total))}%`;
  const advice = [
    classWeights === 'none' ? 'class weights "balanced" (they weigh each class\'s loss by its rarity)' : undefined,
    metricForBest === 'accuracy' ? 'macro-F1 as the metric that picks the best checkpoint (accuracy rewards predicting the large class)' : undefined,
  ].filter(Boolean);
  const counts = `"${smallest[0]}" has ${count(smallest[1], 'row')} (${share(smallest[1])}), "${largest[0]}" ${largest[1].toLocaleString('en-US')} (${share(largest[1])})`;
  return `The labels are imbalanced: ${counts}.${advice.length ? ` Consider ${advice.join(', and ')}.` : ''}`;
}
