/**
 * What the wizard proposes the model learn, from the Datasets inspector's view of the file
 * (dataset.ts's ColumnInfo): several 0/1 columns are multi-label; a column whose cells hold
 * separated tags is multi-label; a column of many numbers is regression; anything else is
 * single-label. It says why, so the user can agree or pick another.
 */
import type { ColumnInfo, DatasetInfo } from './dataset';
import { flagOf, looksLikeRegression, TAG_SEPARATORS, TASKS, type TaskName } from './tasks';

export interface TaskProposal {
  task: TaskName;
  /** "toxic, obscene and insult are 0/1 columns": why, in a phrase. */
  why: string;
  /** Multi-label tags in one cell: their separator. */
  labelSep?: string;
}

/** Columns whose every value is 0 or 1 (true/false, yes/no): the multi-label column form's candidates. */
export function binaryColumns(info: Pick<DatasetInfo, 'columns'>): ColumnInfo[] {
  return info.columns.filter(c => c.valueCounts?.length && c.valueCounts.length <= 2 && c.valueCounts.every(([v]) => flagOf(v) !== undefined));
}

/** Share of a column's cells that must hold a separator before it reads as tags. */
const TAGGED_SHARE = 0.05;

/** The separator of a column of tags: one of TAG_SEPARATORS (a comma is too common in class names to guess) held by enough cells. */
export function tagSeparatorOfColumn(column: ColumnInfo): string | undefined {
  const counts = column.valueCounts;
  if (!counts?.length) return undefined;
  const total = counts.reduce((a, [, n]) => a + n, 0);
  return TAG_SEPARATORS.filter(s => s !== ',').find(s => counts.reduce((a, [v, n]) => a + (v.includes(s) ? n : 0), 0) >= TAGGED_SHARE * total);
}

export function proposeTask(info: Pick<DatasetInfo, 'columns'>, labelCols: readonly string[]): TaskProposal {
  if (labelCols.length > 1) return { task: 'multi_label_classification', why: `${labelCols.join(', ')} are 0/1 columns, a label each` };
  const column = info.columns.find(c => c.name === labelCols[0]);
  if (!column) return { task: 'single_label_classification', why: 'the default' };
  const values = column.valueCounts?.map(([v]) => v);
  // Few distinct values come with their counts; many come without (more than 10 numbers, then).
  if (column.numeric && (column.distinctCapped || (values ? looksLikeRegression(values) : column.distinct > 10))) {
    return { task: 'regression', why: `"${column.name}" holds ${column.distinctCapped ? 'many' : column.distinct} distinct numbers` };
  }
  const labelSep = tagSeparatorOfColumn(column);
  if (labelSep) return { task: 'multi_label_classification', why: `"${column.name}" holds tags separated by "${labelSep}"`, labelSep };
  return { task: 'single_label_classification', why: `"${column.name}" holds ${column.distinctCapped ? 'many' : column.distinct} classes` };
}

/** "regression (proposed: "score" holds 812 distinct numbers)": a task as the wizard lists it. */
export function describeProposal(p: TaskProposal): string {
  return `${TASKS[p.task].title} (proposed: ${p.why})`;
}
