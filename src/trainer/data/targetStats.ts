/**
 * What the Datasets view says of a file's targets as its proposed task reads them
 * (shared/taskProposal.ts): for multi-label, labels a row and the rows with none; for
 * regression, the range, the mean and the targets far from the others (beyond three
 * interquartile ranges of the quartiles, Tukey's "far out"), with their lines.
 */
import type { DatasetProblem } from '../../shared/dataset';
import { FINDING_LINES_KEPT, lineList } from '../../shared/dataFindings';
import type { TaskName } from '../../shared/tasks';
import { count } from '../../shared/words';
import type { LabelledRow } from './loadLabelledData';

/** Regression targets kept for the quartiles: beyond this, a sample of every k-th. */
const VALUES_KEPT = 200_000;

export class TargetStats {
  private rows = 0;
  private labelsGiven = 0;
  private none = 0;
  private readonly values: { value: number; line: number }[] = [];
  private min = Infinity;
  private max = -Infinity;
  private sum = 0;

  constructor(private readonly task: TaskName) {}

  add(row: LabelledRow): void {
    this.rows++;
    if (row.tags) {
      this.labelsGiven += row.tags.length;
      if (!row.tags.length) this.none++;
    } else if (row.value !== undefined) {
      const v = row.value;
      this.min = Math.min(this.min, v);
      this.max = Math.max(this.max, v);
      this.sum += v;
      if (this.values.length < VALUES_KEPT) this.values.push({ value: v, line: row.line });
    }
  }

  /** A phrase for the tooltip and the summary panel, and the problems to list. */
  finish(column: string): { summary: string; problems: DatasetProblem[] } {
    if (!this.rows) return { summary: '', problems: [] };
    if (this.task === 'multi_label_classification') {
      return {
        summary: `${(this.labelsGiven / this.rows).toFixed(2)} labels a row; ${count(this.none, 'row')} with none`,
        problems: [],
      };
    }
    if (this.task !== 'regression') return { summary: '', problems: [] };
    const sorted = this.values.map(v => v.value).sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];
    const [q1, q3] = [q(0.25), q(0.75)];
    const fence = 3 * (q3 - q1);
    const far = fence > 0 ? this.values.filter(v => v.value < q1 - fence || v.value > q3 + fence) : [];
    const lines = far.slice(0, FINDING_LINES_KEPT).map(v => v.line);
    const problems: DatasetProblem[] = far.length
      ? [
          {
            severity: 'warning',
            message: `${count(far.length, 'target')} in "${column}" ${far.length === 1 ? 'lies' : 'lie'} far from the others (beyond ${(q1 - fence).toPrecision(4)}–${(q3 + fence).toPrecision(4)}; ${lineList(lines, far.length)}): a typo or another unit weighs heavily in a squared error. Check ${far.length === 1 ? 'it' : 'them'}.`,
            line: lines[0],
          },
        ]
      : [];
    return { summary: `from ${this.min.toPrecision(4)} to ${this.max.toPrecision(4)}, mean ${(this.sum / this.rows).toPrecision(4)}`, problems };
  }
}
