/**
 * The tasks a classifier head can learn, declared once, as transformers names them in
 * config.json's `problem_type`: one label a text (softmax), any number of labels a text
 * (a sigmoid per label) or a number a text (regression). The task decides how the targets are
 * read, the loss, the outputs and the metrics; the family never knows it. The trainer's task
 * module (src/trainer/task/) computes it; the CLI, the wizard and the panels name it.
 */
import * as z from 'zod/mini';
import { isNumberText } from './labelValues';

export const TASK_NAMES = ['single_label_classification', 'multi_label_classification', 'regression'] as const;
export type TaskName = (typeof TASK_NAMES)[number];
export const taskNameSchema = z.enum(TASK_NAMES);

/** A run folder or a checkpoint without a task was written before tasks existed: all were single-label. */
export const DEFAULT_TASK: TaskName = 'single_label_classification';

export interface TaskInfo {
  /** As the user reads it. */
  title: string;
  /** What it means, where the user picks one. */
  detail: string;
}

export const TASKS: Record<TaskName, TaskInfo> = {
  single_label_classification: { title: 'single-label classification', detail: 'one class a text (softmax): sentiment, topic, intent' },
  multi_label_classification: {
    title: 'multi-label classification',
    detail: 'any number of labels a text, or none (a sigmoid per label): tags, toxicity types, emotions',
  },
  regression: { title: 'regression', detail: 'a number a text (mean squared error): a score, a rating, a similarity' },
};

export function taskTitle(task: TaskName | undefined): string {
  return TASKS[task ?? DEFAULT_TASK].title;
}

/** Multi-label tags in one cell, when no separator is given: the first of these the column holds. */
export const TAG_SEPARATORS = ['|', ';', ','] as const;

/** The decision threshold of a multi-label output when none was tuned: transformers' and scikit-learn's 0.5. */
export const DEFAULT_THRESHOLD = 0.5;

/** The thresholds tuned per label on the validation rows, kept in a checkpoint beside config.json. A protocol: versioned. */
export const thresholdsFileSchema = z.object({
  version: z.literal(1),
  /** Per label of config.json's id2label, in its order. */
  thresholds: z.array(z.number().check(z.gte(0), z.lte(1))),
  labels: z.array(z.string()),
  /** Where they were tuned: the evaluation's step and rows. */
  step: z.optional(z.int().check(z.nonnegative())),
  rows: z.optional(z.int().check(z.nonnegative())),
});
export type ThresholdsFile = z.infer<typeof thresholdsFileSchema>;

/** The 0/1 cells of the multi-label column form, as pandas and spreadsheets write them: yes or no. */
export const FLAG_CELLS: ReadonlyMap<string, boolean> = new Map([
  ...['1', '1.0', 'true', 'yes', 'y'].map(v => [v, true] as const),
  ...['0', '0.0', 'false', 'no', 'n'].map(v => [v, false] as const),
]);

/** A cell of the multi-label column form read as yes or no; undefined when it is neither. */
export const flagOf = (cell: string): boolean | undefined => FLAG_CELLS.get(cell.trim().toLowerCase());

/**
 * Whether a label column's distinct values read as a score rather than classes: every one a
 * number, and either many of them (over 50: no one trains 50 classes from numbers) or fractional
 * ones with more than 10 (STS-B's 0–5 similarity; but not "0.0"/"1.0" or star ratings 1–5).
 */
export function looksLikeRegression(distinct: Iterable<string>): boolean {
  let n = 0;
  let fractional = false;
  for (const v of distinct) {
    const t = v.trim();
    if (!isNumberText(t)) return false;
    n++;
    if (!Number.isInteger(Number(t))) fractional = true;
  }
  return n > 50 || (fractional && n > 10);
}

/** The separator a column of tag cells uses: the given one, else the first of TAG_SEPARATORS that some cell holds. */
export function tagSeparatorOf(cells: Iterable<string>): string | undefined {
  const seen = new Set<string>();
  for (const c of cells) for (const s of TAG_SEPARATORS) if (c.includes(s)) seen.add(s);
  return TAG_SEPARATORS.find(s => seen.has(s));
}

/** A cell of tags, as its labels: split on `separator`, trimmed, empty pieces and repeats dropped. */
export function splitTags(cell: string, separator: string): string[] {
  return [
    ...new Set(
      cell
        .split(separator)
        .map(t => t.trim())
        .filter(t => t !== ''),
    ),
  ];
}
