/**
 * The panel's curves, on uPlot (fast with tens of thousands of points). Series live in growing
 * arrays; a new point is pushed and the chart redrawn once per animation frame, however many
 * points arrived in between.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { format, lastValue, STEP_INCREMENTS } from './series';

const cssVar = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

export function themeColors() {
  return {
    blue: cssVar('--vscode-charts-blue', '#3794ff'),
    orange: cssVar('--vscode-charts-orange', '#d18616'),
    green: cssVar('--vscode-charts-green', '#89d185'),
    purple: cssVar('--vscode-charts-purple', '#b180d7'),
    red: cssVar('--vscode-charts-red', '#f14c4c'),
    foreground: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)'),
  };
}

export interface SeriesSpec {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Join across nulls (evaluation points sit on a few steps only). */
  spanGaps?: boolean;
  points?: boolean;
}

export class LiveChart {
  private plot: uPlot | undefined;
  private frame = 0;
  readonly data: (number | null)[][];

  constructor(
    private readonly el: HTMLElement,
    private readonly title: string,
    private readonly series: SeriesSpec[],
    private readonly options: { logY?: boolean; yLabel?: string; xLabel?: string; exponential?: boolean } = {},
  ) {
    this.data = [[], ...series.map(() => [])];
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: 220 })).observe(el);
  }

  /** Number of x values plotted (tests read it from data-points). */
  get points(): number {
    return this.data[0].length;
  }

  reset(): void {
    this.data.forEach(a => (a.length = 0));
    this.schedule();
  }

  push(x: number, ys: (number | null)[]): void {
    this.data[0].push(x);
    ys.forEach((y, i) => this.data[i + 1].push(y));
    this.schedule();
  }

  /** Sets the y of series `s` at the last point whose x is `x`. */
  setAt(x: number, s: number, y: number): void {
    const i = (this.data[0] as number[]).lastIndexOf(x);
    if (i >= 0) {
      this.data[s + 1][i] = y;
      this.schedule();
    }
  }

  /** Rebuilds the chart in the current theme's colours (the theme changed). */
  retheme(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.schedule();
  }

  /** Draws now (benchmarks and tests), instead of at the next frame. */
  drawNow(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.draw();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private width(): number {
    return Math.max(240, this.el.clientWidth);
  }

  private draw(): void {
    this.el.dataset.points = String(this.points);
    if (!this.plot) {
      const c = themeColors();
      const axis = { stroke: c.foreground, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid } };
      this.plot = new uPlot(
        {
          title: this.title,
          width: this.width(),
          height: 220,
          scales: { x: { time: false }, y: this.options.logY ? { distr: 3 } : {} },
          axes: [
            { ...axis, label: this.options.xLabel, incrs: STEP_INCREMENTS, values: (_u: uPlot, vals: number[]) => vals.map(v => v.toLocaleString('en-US')) },
            {
              ...axis,
              label: this.options.yLabel,
              size: this.options.exponential ? 70 : 50,
              values: this.options.exponential ? (_u: uPlot, vals: number[]) => vals.map(v => v.toExponential(1)) : undefined,
            },
          ],
          series: [
            { label: 'step' },
            ...this.series.map((s, i) => ({
              label: s.label,
              // Off the chart, the legend shows each series' latest value instead of "--".
              value: (_u: uPlot, v: number | null, _s: number, idx: number | null) =>
                format(idx === null ? lastValue(this.data[i + 1]) : v, this.options.exponential),
              stroke: s.color,
              width: s.width ?? 1.5,
              dash: s.dash,
              spanGaps: s.spanGaps,
              points: { show: s.points ?? false },
            })),
          ],
          legend: { live: true },
          cursor: { drag: { x: true, y: false } },
        },
        this.data as uPlot.AlignedData,
        this.el,
      );
      return;
    }
    this.plot.setData(this.data as uPlot.AlignedData);
  }
}
