/**
 * The dataset summary panel: a dataset's shape, its columns with their likely roles, the label
 * balance and the problems found. Renders whatever state the host sends; keeps none of its own.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '../shared/page.css';
import './style.css';
import { delimiterName, type ColumnInfo, type DatasetInfo, type DatasetTask } from '../../../src/shared/dataset';
import { TASKS } from '../../../src/shared/tasks';
import { toSummaryWebviewSchema, type FromSummaryWebview, type SummaryState } from '../../../src/shared/webviews/datasetSummaryProtocol';
import { vscode } from '../vscodeApi';
import { count } from '../../../src/shared/words';
import { el } from '../shared/dom';

const app = document.getElementById('app')!;

function send(message: FromSummaryWebview): void {
  vscode.postMessage(message);
}

/** Tiny element builder: text goes in as text nodes, never as HTML. */

const fmt = (n: number): string => n.toLocaleString('en-US');

function shapeLine(info: DatasetInfo): string {
  const parts = [count(info.rows, 'row'), count(info.columns.length, 'column')];
  if (info.format === 'jsonl') parts.push('JSON Lines');
  else if (info.delimiter) parts.push(`${delimiterName(info.delimiter)}-separated`, info.hasHeader ? 'header row' : 'no header row');
  return parts.join(' · ');
}

function roleText(c: ColumnInfo): string {
  return { text: 'likely text', label: 'likely label', id: 'id', other: '' }[c.role];
}

function columnsTable(info: DatasetInfo): HTMLElement {
  const header = el(
    'vscode-table-header',
    { slot: 'header' },
    ...['Column', 'Role', 'Values', 'Distinct', 'Kind'].map(h => el('vscode-table-header-cell', {}, h)),
  );
  const body = el(
    'vscode-table-body',
    { slot: 'body' },
    ...info.columns.map(c =>
      el(
        'vscode-table-row',
        { 'data-column': c.name },
        el('vscode-table-cell', {}, c.name),
        el('vscode-table-cell', {}, roleText(c)),
        el('vscode-table-cell', {}, fmt(c.filled)),
        el(
          'vscode-table-cell',
          { title: c.distinctCapped ? `counting stopped at ${fmt(c.distinct)}: more distinct values than labels have` : '' },
          c.distinctCapped ? `≥ ${fmt(c.distinct)} (stopped counting)` : fmt(c.distinct),
        ),
        // What the column holds: numbers, a few labels, or text of some length.
        el('vscode-table-cell', {}, c.numeric ? 'numbers' : c.role === 'label' ? 'labels' : `text, ${c.meanLength.toFixed(1)} characters on average`),
      ),
    ),
  );
  return el('vscode-table', { id: 'columns', zebra: '', 'bordered-columns': '', resizable: '' }, header, body);
}

function labelBalance(column: ColumnInfo): HTMLElement {
  const counts = column.valueCounts ?? [];
  const max = Math.max(1, ...counts.map(([, n]) => n));
  const total = counts.reduce((s, [, n]) => s + n, 0) || 1;
  const list = el('ul', { class: 'bars', id: 'label-balance', 'aria-label': `Rows per value of ${column.name}` });
  for (const [value, n] of counts) {
    const bar = el('span', { class: 'bar' });
    bar.style.width = `${(100 * n) / max}%`;
    list.append(
      el(
        'li',
        {},
        el('span', { class: 'bar-label' }, value || '(empty)'),
        el('span', { class: 'bar-track' }, bar),
        el('span', { class: 'bar-value' }, `${fmt(n)} (${((100 * n) / total).toFixed(1)}%)`),
      ),
    );
  }
  return el('section', {}, el('h2', {}, `Label balance: ${column.name}`), list);
}

/** The likely text column's lengths in words, as bars: the max length (128 tokens by default) reads about 95 words of English. */
function textLengths(t: NonNullable<DatasetInfo['textLengths']>): HTMLElement {
  const total = t.rows.reduce((a, n) => a + n, 0) || 1;
  const max = Math.max(1, ...t.rows);
  const names = t.rows.map((_, i) =>
    i === 0 ? `≤ ${t.edges[0]}` : i < t.edges.length ? `${t.edges[i - 1] + 1}–${t.edges[i]}` : `> ${t.edges[t.edges.length - 1]}`,
  );
  const list = el('ul', { class: 'bars', id: 'text-lengths', 'aria-label': `Texts of ${t.column} by length in words` });
  t.rows.forEach((n, i) => {
    const bar = el('span', { class: 'bar' });
    bar.style.width = `${(100 * n) / max}%`;
    list.append(
      el(
        'li',
        {},
        el('span', { class: 'bar-label' }, `${names[i]} words`),
        el('span', { class: 'bar-track' }, bar),
        el('span', { class: 'bar-value' }, `${fmt(n)} (${((100 * n) / total).toFixed(1)}%)`),
      ),
    );
  });
  return el(
    'section',
    {},
    el('h2', {}, `Text lengths: ${t.column}`),
    list,
    el('p', { class: 'hint' }, 'Training reads 128 tokens of each text by default (about 95 words of English); the rest of a longer text is cut.'),
  );
}

function problemsList(info: DatasetInfo): HTMLElement {
  return el(
    'section',
    { id: 'problems' },
    el('h2', {}, 'Problems'),
    el(
      'ul',
      {},
      ...info.problems.map(p => {
        const li = el('li', { class: p.severity }, `${p.severity === 'error' ? 'Error' : 'Warning'}: ${p.message} `);
        if (p.line) {
          const link = el('vscode-button', { secondary: '' }, `Go to line ${p.line}`);
          link.addEventListener('click', () => send({ type: 'openFile', line: p.line }));
          li.append(link);
        }
        return li;
      }),
    ),
  );
}

function render(state: SummaryState): void {
  const title = el('h1', { id: 'title' }, state.relativePath);
  if (state.status === 'pending') {
    app.replaceChildren(title, el('p', {}, 'Reading the file…'));
    return;
  }
  if (state.status === 'failed' || !state.info) {
    app.replaceChildren(title, el('p', { class: 'error' }, state.message ?? 'The file could not be read.'));
    return;
  }
  const { info } = state;
  const open = el('vscode-button', { id: 'open-file' }, 'Open file');
  open.addEventListener('click', () => send({ type: 'openFile' }));
  const parts: HTMLElement[] = [title, el('p', { id: 'shape' }, shapeLine(info), ' ', open)];
  if (info.task) parts.push(taskSection(info.task));
  if (info.problems.length) parts.push(problemsList(info));
  if (info.columns.length) parts.push(el('section', {}, el('h2', {}, 'Columns'), columnsTable(info)));
  if (info.sample?.length) parts.push(sampleRows(info));
  // Multi-label 0/1 columns: each label's balance; otherwise the label column's.
  const labelColumns = info.task?.labelColumns.length && info.task.labelColumns.length > 1 ? info.task.labelColumns : [];
  const label = info.columns.find(c => c.role === 'label');
  const balanced = labelColumns.length ? info.columns.filter(c => labelColumns.includes(c.name)) : label && info.task?.task !== 'regression' ? [label] : [];
  for (const c of balanced) if (c.valueCounts) parts.push(labelBalance(c));
  if (info.textLengths) parts.push(textLengths(info.textLengths));
  app.replaceChildren(...parts);
}

/** The file's first rows, as the columns read them: a line number each. */
function sampleRows(info: DatasetInfo): HTMLElement {
  const header = el('vscode-table-header', { slot: 'header' }, ...['Line', ...info.columns.map(c => c.name)].map(h => el('vscode-table-header-cell', {}, h)));
  const body = el(
    'vscode-table-body',
    { slot: 'body' },
    ...info.sample!.map(r =>
      el('vscode-table-row', {}, el('vscode-table-cell', {}, String(r.line)), ...info.columns.map((_, i) => el('vscode-table-cell', {}, r.cells[i] ?? ''))),
    ),
  );
  return el(
    'section',
    {},
    el('h2', {}, 'First rows'),
    el('div', { class: 'scroll-x' }, el('vscode-table', { id: 'sample-rows', zebra: '', 'bordered-columns': '', resizable: '' }, header, body)),
  );
}

/** What the labels propose the model learn, why, and how its targets read as that task. */
function taskSection(task: DatasetTask): HTMLElement {
  return el(
    'section',
    { id: 'task' },
    el('h2', {}, 'Proposed task'),
    el('p', {}, `${TASKS[task.task].title}: ${task.why}${task.summary ? `; ${task.summary}` : ''}.`),
    el('p', { class: 'hint' }, 'Fine-tune on this CSV proposes it and lets you choose another in its settings.'),
  );
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toSummaryWebviewSchema.safeParse(event.data);
  if (!parsed.success) {
    console.error('dataset summary: ignored an invalid message', parsed.error.message);
    return;
  }
  render(parsed.data.state);
});

send({ type: 'ready' });
