/**
 * What an evaluation message carries, bounded: it is appended to metrics.jsonl at every
 * evaluation and drawn by the panel, so 5,000 classes (a 25-million-cell confusion matrix, 50 MB
 * a line) or 100 misclassified 100k-character texts must not go into it whole. The metrics
 * themselves (accuracy, macro-F1) are always computed over every class and row. The trainer
 * bounds what it sends; the panel applies the same bound to runs an older version wrote.
 */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** Multi-label: the label's ROC-AUC (absent with one class only) and the threshold of its best F1. */
  rocAuc?: number;
  threshold?: number;
  /** Multi-label: the rows the model gave the label. */
  predicted?: number;
}

/** The per-class table and the confusion matrix show at most this many classes: those with the most validation rows. */
export const MAX_REPORTED_CLASSES = 50;
/** How many wrong rows an evaluation reports, most confident first. */
export const MAX_MISCLASSIFIED = 100;
/** A misclassified row's text is cut to this many characters in the message. */
export const MAX_REPORTED_TEXT = 1000;

export function clipText(text: string, max = MAX_REPORTED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

export function reportedClasses(
  perClass: ClassMetrics[],
  confusion: number[][],
  max = MAX_REPORTED_CLASSES,
): { perClass: ClassMetrics[]; confusion: number[][]; omittedClasses?: number } {
  if (perClass.length <= max) return { perClass, confusion };
  // The largest classes, in label order; ties by label order, so the choice is stable between evaluations.
  const kept = perClass
    .map((c, i) => ({ i, support: c.support }))
    .sort((a, b) => b.support - a.support || a.i - b.i)
    .slice(0, max)
    .map(c => c.i)
    .sort((a, b) => a - b);
  return { perClass: kept.map(i => perClass[i]), confusion: kept.map(t => kept.map(p => confusion[t][p])), omittedClasses: perClass.length - kept.length };
}
