/**
 * How a prediction reads where the text is, per task (src/shared/tasks.ts): the inline label
 * after a selection and the hover's table. Single-label: "positive 97%". Multi-label: each
 * label at or over its threshold with its probability ("toxic 91%, insult 64%"), or "no label".
 * Regression: the value. Plain functions of the prediction, apart from VS Code (unit-tested).
 */
import type { Prediction } from '../../shared/inferenceProtocol';
import { DEFAULT_THRESHOLD, type TaskName } from '../../shared/tasks';
import { markdownTableCell } from './markdownText';

export interface PredictionContext {
  task?: TaskName;
  /** The model's labels, in its order. */
  labels: readonly string[];
  /** Multi-label: the decision threshold per label. */
  thresholds?: readonly number[];
}

const percent = (p: number) => `${(100 * p).toFixed(0)}%`;

/** A regression's value with four significant digits, without a trail of zeros. */
export function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

export function inlineText(p: Prediction, c: PredictionContext): string {
  if (c.task === 'regression') return formatValue(p.value ?? Number(p.label));
  if (c.task === 'multi_label_classification') {
    const chosen = (p.labels ?? []).map(l => `${l} ${percent(p.probabilities[c.labels.indexOf(l)])}`);
    return chosen.length ? chosen.join(', ') : 'no label';
  }
  return `${p.label} ${percent(p.confidence ?? 0)}`;
}

/** The hover's table in Markdown: every label's probability, most probable first (multi-label: its threshold, and ✓ where given). */
export function hoverTable(p: Prediction, c: PredictionContext): string {
  if (c.task === 'regression') return `| predicted | ${markdownTableCell(formatValue(p.value ?? Number(p.label)))} |\n|---|---:|\n`;
  const rows = c.labels.map((l, i) => [l, p.probabilities[i], i] as const).sort((a, b) => b[1] - a[1]);
  if (c.task === 'multi_label_classification') {
    const given = new Set(p.labels ?? []);
    return (
      '| label | probability | threshold | |\n|---|---:|---:|:-:|\n' +
      rows
        .map(
          ([l, q, i]) =>
            `| ${markdownTableCell(l)} | ${(100 * q).toFixed(1)}% | ${(100 * (c.thresholds?.[i] ?? DEFAULT_THRESHOLD)).toFixed(0)}% | ${given.has(l) ? '✓' : ''} |\n`,
        )
        .join('')
    );
  }
  return '| label | probability |\n|---|---:|\n' + rows.map(([l, q]) => `| ${markdownTableCell(l)} | ${(100 * q).toFixed(1)}% |\n`).join('');
}
