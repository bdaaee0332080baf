/**
 * An evaluation's details as the metrics panel and the evaluation panel show them: the
 * per-class table, the confusion matrix coloured by each true label's share, and the rows behind
 * a chosen cell, each a link to its line. The chosen cell stays chosen across renders.
 */
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import './evaluation.css';
import { MAX_MISCLASSIFIED, reportedClasses, type ClassMetrics } from '../../../src/shared/reportedEvaluation';
import { el } from './dom';
import { pct } from './format';
import { gridMove, rowShares, rowsOfCell } from './evaluationModel';
import { count } from '../../../src/shared/words';

export interface EvaluationShown {
  perClass: ClassMetrics[];
  confusion: number[][];
  omittedClasses?: number;
  misclassified: { line: number; text: string; truth: string; predicted: string; confidence: number }[];
}

export interface DetailParts {
  perClass: HTMLElement;
  confusion: HTMLElement;
  cellRows: HTMLElement;
}

export class EvaluationDetails {
  private selected: { truth: string; predicted: string } | undefined;

  constructor(
    private readonly parts: DetailParts,
    /** "validation rows" or "rows": what the matrix counts. */
    private readonly rowsNoun: string,
    private readonly openRow: (line: number) => void,
  ) {}

  render(full: EvaluationShown): void {
    // Evaluations written before the trainer bounded its messages may hold thousands of classes.
    const e = full.omittedClasses !== undefined ? full : { ...full, ...reportedClasses(full.perClass, full.confusion) };
    this.renderTable(e);
    this.renderMatrix(e);
  }

  private renderTable(e: EvaluationShown): void {
    const header = el(
      'vscode-table-header',
      { slot: 'header' },
      ...['Label', 'Precision', 'Recall', 'F1', 'Support'].map(h => el('vscode-table-header-cell', {}, h)),
    );
    const body = el(
      'vscode-table-body',
      { slot: 'body' },
      ...e.perClass.map(cl =>
        el(
          'vscode-table-row',
          { 'data-label': cl.label },
          el('vscode-table-cell', {}, cl.label),
          el('vscode-table-cell', {}, pct(cl.precision)),
          el('vscode-table-cell', {}, pct(cl.recall)),
          el('vscode-table-cell', {}, pct(cl.f1)),
          el('vscode-table-cell', {}, String(cl.support)),
        ),
      ),
    );
    const omitted = e.omittedClasses
      ? el(
          'p',
          { class: 'hint' },
          `The ${e.perClass.length} classes with the most ${this.rowsNoun}; ${e.omittedClasses.toLocaleString('en-US')} smaller classes are left out here (accuracy and macro-F1 count every class).`,
        )
      : '';
    this.parts.perClass.replaceChildren(el('div', { class: 'scroll-x' }, el('vscode-table', { zebra: '', 'bordered-columns': '' }, header, body)), omitted);
  }

  private renderMatrix(e: EvaluationShown): void {
    const labels = e.perClass.map(p => p.label);
    const table = el('table', { class: 'confusion', role: 'grid' });
    table.append(el('tr', {}, el('th', { scope: 'col' }, 'true \\ predicted'), ...labels.map(l => el('th', { scope: 'col' }, l))));
    // Coloured by the share of the true label's rows, not by count: a small class's diagonal reads as strongly as a large one's.
    const shares = rowShares(e.confusion);
    e.confusion.forEach((row, t) => {
      const tr = el('tr', {}, el('th', { scope: 'row' }, labels[t]));
      row.forEach((n, p) => {
        const button = el(
          'button',
          { class: 'cell', 'data-true': String(t), 'data-pred': String(p), 'aria-label': `${count(n, 'row')} of ${labels[t]} predicted as ${labels[p]}` },
          String(n),
        );
        button.style.setProperty('--heat', String(shares[t][p]));
        button.title = `${Math.round(100 * shares[t][p])}% of ${labels[t]}'s rows`;
        button.classList.toggle('diagonal', t === p);
        button.addEventListener('click', () => {
          this.selected = { truth: labels[t], predicted: labels[p] };
          this.renderCell(e, labels[t], labels[p]);
        });
        if (this.selected?.truth === labels[t] && this.selected.predicted === labels[p]) button.setAttribute('aria-pressed', 'true');
        tr.append(el('td', {}, button));
      });
      table.append(tr);
    });
    makeGridKeyboard(table);
    // Wide matrices scroll in their own box: the panel itself never scrolls sideways.
    this.parts.confusion.replaceChildren(el('div', { class: 'scroll-x' }, table));
    if (this.selected) this.renderCell(e, this.selected.truth, this.selected.predicted);
    else this.parts.cellRows.replaceChildren();
  }

  private renderCell(e: EvaluationShown, truth: string, predicted: string): void {
    const rows = rowsOfCell(e.misclassified, truth, predicted);
    const title = el('h3', {}, `${truth} predicted as ${predicted}`);
    if (truth === predicted) {
      this.parts.cellRows.replaceChildren(title, el('p', {}, 'These rows were predicted right; the panel lists the wrong ones.'));
      return;
    }
    const list = el(
      'ul',
      { id: 'cell-row-list' },
      ...rows.map(r => {
        const item = el(
          'li',
          {},
          el('button', { class: 'link', 'data-line': String(r.line) }, `line ${r.line}`),
          ` ${(100 * r.confidence).toFixed(0)}% · `,
          r.text.trim(),
        );
        item.querySelector('button')!.addEventListener('click', () => this.openRow(r.line));
        return item;
      }),
    );
    const note =
      e.misclassified.length >= MAX_MISCLASSIFIED ? el('p', { class: 'hint' }, `Only the ${MAX_MISCLASSIFIED} most confident mistakes are reported.`) : '';
    this.parts.cellRows.replaceChildren(title, rows.length ? list : el('p', {}, 'No such rows.'), note);
  }
}

/**
 * One Tab stop for the whole matrix (the chosen cell, else the first): the arrow keys, Home and
 * End move between cells, as in a grid, instead of a Tab stop per cell.
 */
function makeGridKeyboard(table: HTMLElement): void {
  const rows = [...table.querySelectorAll('tr')].map(tr => [...tr.querySelectorAll<HTMLButtonElement>('button.cell')]).filter(r => r.length);
  const all = rows.flat();
  if (!all.length) return;
  const current = all.find(b => b.getAttribute('aria-pressed') === 'true') ?? all[0];
  for (const b of all) b.tabIndex = b === current ? 0 : -1;
  table.addEventListener('keydown', event => {
    const target = event.target as HTMLElement;
    const r = rows.findIndex(row => row.includes(target as HTMLButtonElement));
    if (r < 0) return;
    const c = rows[r].indexOf(target as HTMLButtonElement);
    const isGridKey = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End'].includes(event.key);
    if (!isGridKey) return;
    event.preventDefault();
    const next = gridMove(
      rows.map(row => row.length),
      r,
      c,
      event.key,
    );
    if (!next) return;
    const to = rows[next[0]][next[1]];
    target.tabIndex = -1;
    to.tabIndex = 0;
    to.focus();
  });
}
