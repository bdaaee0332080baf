/**
 * A model's evaluation on a labelled file: what was evaluated, the metrics, what the reader
 * skipped, the per-class table and the confusion matrix, whose cells list the wrong rows and open
 * the file at each. Renders what the host sends; the host keeps it.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '../shared/page.css';
import './style.css';
import { describeMetrics } from '../../../src/shared/metrics';
import { toEvaluationWebviewSchema, type Evaluated, type FromEvaluationWebview } from '../../../src/shared/webviews/evaluationPanelProtocol';
import { byId as $, el } from '../shared/dom';
import { EvaluationDetails } from '../shared/evaluationDetails';
import { vscode } from '../vscodeApi';

const send = (m: FromEvaluationWebview) => vscode.postMessage(m);

document
  .getElementById('app')!
  .replaceChildren(
    el('header', { id: 'header' }, el('h1', { id: 'title' }, 'Loading…'), el('vscode-button', { id: 'again', secondary: '' }, 'Evaluate again')),
    el('p', { id: 'summary' }),
    el('dl', { id: 'facts' }),
    el('ul', { id: 'warnings', class: 'warnings', 'aria-label': 'What the reader skipped or repaired' }),
    el('h2', { id: 'table-title' }, 'Per class'),
    el('div', { id: 'per-class' }),
    el('h2', { id: 'matrix-title' }, 'Confusion matrix'),
    el('p', { id: 'matrix-hint', class: 'hint' }, 'Rows: true label; columns: predicted. Choose a cell to list its rows.'),
    el('div', { id: 'confusion' }),
    el('div', { id: 'cell-rows', 'aria-live': 'polite' }),
  );

const details = new EvaluationDetails(
  {
    perClass: $('per-class'),
    confusion: $('confusion'),
    cellRows: $('cell-rows'),
    title: $('matrix-title'),
    hint: $('matrix-hint'),
    tableTitle: $('table-title'),
  },
  'rows',
  line => send({ type: 'openRow', line }),
);

function render(x: Evaluated): void {
  const e = x.evaluation;
  const file = x.file.split(/[\\/]/).pop() ?? x.file;
  $('title').textContent = `${x.modelName} on ${file}`;
  $('summary').textContent = describeMetrics(e, 1);
  const facts: [string, string][] = [
    ['Model', x.modelRef],
    ['File', x.file],
    ['Columns', `text "${x.textCol}"${x.pairCol ? `, pair "${x.pairCol}"` : ''}, label "${x.labelCol}"`],
    ['Rows', `${e.rows.toLocaleString('en-US')} evaluated${e.skipped ? `, ${e.skipped.toLocaleString('en-US')} skipped` : ''}`],
    ['Max length', `${e.maxLength} tokens`],
    ['Evaluated', new Date(x.at).toLocaleString()],
  ];
  $('facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('warnings').replaceChildren(...e.warnings.map(w => el('li', {}, w)));
  $('again').removeAttribute('disabled');
  details.render(e);
}

$('again').addEventListener('click', () => {
  $('again').setAttribute('disabled', '');
  send({ type: 'again' });
});

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toEvaluationWebviewSchema.safeParse(event.data);
  if (!parsed.success) return console.error('evaluation panel: ignored an invalid message', parsed.error.message);
  render(parsed.data.evaluated);
});

send({ type: 'ready' });
