/**
 * An evaluation's details as the metrics panel and the evaluation panel show them, by its task.
 * Single-label: the per-class table, the confusion matrix coloured by each true label's share,
 * and the rows behind a chosen cell. Multi-label: the per-label table (with ROC-AUC and the tuned
 * threshold) and each label's errors (missed, wrongly given), whose rows a click lists.
 * Regression: predicted against true as a scatter plot and the residuals as a histogram; a point
 * opens its row. Each row is a link to its line; the chosen cell stays chosen across renders.
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
import { gridMove, residualBins, rowsOfCell, rowsOfLabelError, rowShares, scatterModel, type Point } from './evaluationModel';
import type { TaskName } from '../../../src/shared/tasks';
import { count } from '../../../src/shared/words';

export interface EvaluationShown {
  task?: TaskName;
  /** Regression: every row's target and prediction. */
  points?: Point[];
  perClass: ClassMetrics[];
  confusion: number[][];
  omittedClasses?: number;
  misclassified: { line: number; text: string; truth: string; predicted: string; confidence: number }[];
}

export interface DetailParts {
  perClass: HTMLElement;
  confusion: HTMLElement;
  cellRows: HTMLElement;
  /** The headings and hint over the table and the matrix: they say what the task's views are. */
  title?: HTMLElement;
  hint?: HTMLElement;
  tableTitle?: HTMLElement;
}

/** What the table's and the matrix's headings say, by task. */
const HEADINGS: Record<TaskName, { table: string; matrix: string; hint: string }> = {
  single_label_classification: {
    table: 'Per class',
    matrix: 'Confusion matrix',
    hint: 'Rows: true label; columns: predicted. Choose a cell to list its rows.',
  },
  multi_label_classification: {
    table: 'Per label',
    matrix: 'Errors per label',
    hint: 'Missed: rows that have the label, not given it; wrongly given: rows given the label they do not have. Choose a count to list its rows.',
  },
  regression: { table: 'Predictions', matrix: 'Residuals', hint: 'How far the predictions fall from the targets: choose a point above to open its row.' },
};

export class EvaluationDetails {
  private selected: { truth: string; predicted: string } | undefined;

  constructor(
    private readonly parts: DetailParts,
    /** "validation rows" or "rows": what the matrix counts. */
    private readonly rowsNoun: string,
    private readonly openRow: (line: number) => void,
  ) {}

  render(full: EvaluationShown): void {
    const h = HEADINGS[full.task ?? 'single_label_classification'];
    if (this.parts.title) this.parts.title.textContent = h.matrix;
    if (this.parts.hint) this.parts.hint.textContent = h.hint;
    if (this.parts.tableTitle) this.parts.tableTitle.textContent = h.table;
    if (full.task === 'regression') return this.renderRegression(full.points ?? []);
    // Evaluations written before the trainer bounded its messages may hold thousands of classes.
    const e = full.omittedClasses !== undefined ? full : { ...full, ...reportedClasses(full.perClass, full.confusion) };
    this.renderTable(e);
    if (full.task === 'multi_label_classification') this.renderLabelErrors(e);
    else this.renderMatrix(e);
  }

  /** Multi-label: per label, the rows it was missed on and the rows it was wrongly given; a count lists its rows. */
  private renderLabelErrors(e: EvaluationShown): void {
    const table = el('table', { class: 'confusion label-errors' });
    table.append(el('tr', {}, el('th', { scope: 'col' }, 'label'), el('th', { scope: 'col' }, 'missed'), el('th', { scope: 'col' }, 'wrongly given')));
    for (const c of e.perClass) {
      const tp = Math.round(c.recall * c.support);
      const counts = { missed: c.support - tp, extra: c.predicted !== undefined ? c.predicted - tp : undefined };
      const cell = (kind: 'missed' | 'extra') => {
        const n = counts[kind];
        const button = el('button', { class: 'cell', 'data-label': c.label, 'data-kind': kind }, n === undefined ? '–' : String(n));
        button.addEventListener('click', () => {
          this.selected = { truth: c.label, predicted: kind };
          this.renderLabelRows(e, c.label, kind);
          this.revealRows();
        });
        if (this.selected?.truth === c.label && this.selected.predicted === kind) button.setAttribute('aria-pressed', 'true');
        return el('td', {}, button);
      };
      table.append(el('tr', {}, el('th', { scope: 'row' }, c.label), cell('missed'), cell('extra')));
    }
    this.parts.confusion.replaceChildren(el('div', { class: 'scroll-x' }, table));
    const kind = this.selected?.predicted;
    if (this.selected && (kind === 'missed' || kind === 'extra')) this.renderLabelRows(e, this.selected.truth, kind);
    else this.parts.cellRows.replaceChildren();
  }

  private renderLabelRows(e: EvaluationShown, label: string, kind: 'missed' | 'extra'): void {
    const rows = rowsOfLabelError(e.misclassified, label, kind);
    this.renderRows(
      e,
      `${label}: ${kind === 'missed' ? 'missed' : 'wrongly given'}`,
      rows,
      r => `has ${r.truth || 'no label'}, given ${r.predicted || 'none'}`,
    );
  }

  /** Regression: the scatter plot (a point a row; a click opens it) and the residuals' histogram. */
  private renderRegression(points: Point[]): void {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = (tag: string, attrs: Record<string, string | number>) => {
      const node = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      return node;
    };
    const size = 320;
    const model = scatterModel(points, size);
    const plot = svg('svg', { class: 'scatter', viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: 'img' });
    plot.setAttribute('aria-label', `predicted against true for ${count(points.length, 'row')}; the diagonal is a perfect prediction`);
    plot.append(svg('line', { class: 'diagonal', x1: 8, y1: size - 8, x2: size - 8, y2: 8 }));
    for (const c of model.circles) {
      const dot = svg('circle', { cx: c.cx.toFixed(1), cy: c.cy.toFixed(1), r: 3, 'data-line': c.line, tabindex: -1 });
      const title = svg('title', {});
      title.textContent = `line ${c.line}: true ${c.truth}, predicted ${c.predicted.toPrecision(4)}`;
      dot.append(title);
      dot.addEventListener('click', () => this.openRow(c.line));
      plot.append(dot);
    }
    const range = el(
      'p',
      { class: 'hint' },
      `Both axes from ${model.lo.toPrecision(4)} to ${model.hi.toPrecision(4)}: true values across, predictions up. A point opens its row.`,
    );
    this.parts.perClass.replaceChildren(plot, range);
    const { edges, counts } = residualBins(points);
    const w = 320;
    const h = 120;
    const top = Math.max(1, ...counts);
    const bars = svg('svg', { class: 'residuals', viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img' });
    bars.setAttribute('aria-label', 'residuals (predicted − true) as a histogram');
    counts.forEach((n, i) => {
      const bw = w / counts.length;
      const bar = svg('rect', { x: (i * bw).toFixed(1), y: (h - (n / top) * h).toFixed(1), width: (bw - 1).toFixed(1), height: ((n / top) * h).toFixed(1) });
      const title = svg('title', {});
      title.textContent = `${count(n, 'row')} with a residual from ${edges[i].toPrecision(3)} to ${edges[i + 1].toPrecision(3)}`;
      bar.append(title);
      bars.append(bar);
    });
    this.parts.confusion.replaceChildren(bars);
    this.parts.cellRows.replaceChildren();
  }

  private renderTable(e: EvaluationShown): void {
    const multi = e.task === 'multi_label_classification';
    const header = el(
      'vscode-table-header',
      { slot: 'header' },
      ...['Label', 'Precision', 'Recall', 'F1', 'Support', ...(multi ? ['ROC-AUC', 'Threshold'] : [])].map(h => el('vscode-table-header-cell', {}, h)),
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
          ...(multi
            ? [
                el('vscode-table-cell', {}, cl.rocAuc === undefined ? '–' : cl.rocAuc.toFixed(3)),
                el(
                  'vscode-table-cell',
                  { title: 'the threshold of its best F1 on these rows, kept with the model' },
                  cl.threshold === undefined ? '–' : cl.threshold.toFixed(2),
                ),
              ]
            : []),
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
          this.revealRows();
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
    if (truth === predicted) {
      this.parts.cellRows.replaceChildren(
        el('h3', {}, `${truth} predicted as ${predicted}`),
        el('p', {}, 'These rows were predicted right; the panel lists the wrong ones.'),
      );
      return;
    }
    this.renderRows(e, `${truth} predicted as ${predicted}`, rowsOfCell(e.misclassified, truth, predicted));
  }

  /** The listed rows scrolled into view: below a tall matrix they would be under the fold. */
  private revealRows(): void {
    this.parts.cellRows.scrollIntoView?.({ behavior: 'smooth', block: 'nearest' });
  }

  /** Rows under a heading, each a link to its line, with its confidence (and a note of what it got wrong). */
  private renderRows(
    e: EvaluationShown,
    heading: string,
    rows: EvaluationShown['misclassified'],
    what?: (r: EvaluationShown['misclassified'][number]) => string,
  ): void {
    const title = el('h3', {}, heading);
    const list = el(
      'ul',
      { id: 'cell-row-list' },
      ...rows.map(r => {
        const item = el(
          'li',
          {},
          el('button', { class: 'link', 'data-line': String(r.line) }, `line ${r.line}`),
          ` ${(100 * r.confidence).toFixed(0)}% · `,
          what ? `${what(r)} · ` : '',
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
