/** Plain-text descriptions of a dataset for the Datasets view: a row's tooltip and its encoding's name. */
import { delimiterName, type DatasetInfo, type Encoding } from '../../shared/dataset';
import { count } from '../../shared/words';
import { TASKS } from '../../shared/tasks';

export function describeEncoding(e: Encoding): string {
  return { 'utf-8': 'UTF-8', 'utf-8-bom': 'UTF-8 with BOM', 'utf-16le': 'UTF-16 LE', 'utf-16be': 'UTF-16 BE', latin1: 'Latin-1' }[e];
}

export function describeSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function describeDataset(info: DatasetInfo): string {
  const lines = [
    `${count(info.rows, 'row')}, ${count(info.columns.length, 'column')}, ${describeSize(info.sizeBytes)}`,
    info.format === 'jsonl' || !info.delimiter
      ? `${info.format === 'jsonl' ? 'JSON Lines' : 'CSV'}, ${describeEncoding(info.encoding)}`
      : `${delimiterName(info.delimiter)}-separated, ${info.hasHeader ? 'header row' : 'no header row'}, ${info.quoting ? '"quoted" fields' : 'no quoting'}, ${describeEncoding(info.encoding)}`,
  ];
  const text = info.columns.find(c => c.role === 'text');
  const label = info.columns.find(c => c.role === 'label');
  if (text) lines.push(`Likely text column: ${text.name}`);
  const task = info.task;
  if (task && task.task !== 'single_label_classification') {
    lines.push(`Proposed task: ${TASKS[task.task].title} (${task.why})${task.summary ? `: ${task.summary}` : ''}`);
  } else if (label) lines.push(`Likely label column: ${label.name} (${count(label.distinct, 'class', 'classes')})`);
  return lines.join('\n');
}
