/**
 * Regression metrics, as scikit-learn and scipy compute them: MSE, RMSE, MAE, R² (r2_score,
 * force_finite), Pearson's r (pearsonr) and Spearman's ρ (spearmanr: Pearson's r of the average
 * ranks). A correlation of a constant is undefined: 0 here, since JSON carries no NaN.
 */
import { averageRanks } from './multiLabelMetrics';

export interface RegressionMetrics {
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  pearson: number;
  spearman: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export function pearson(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa && sbb ? Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb))) : 0;
}

export function regressionMetrics(truth: number[], predicted: number[]): RegressionMetrics {
  const n = truth.length;
  let se = 0;
  let ae = 0;
  for (let i = 0; i < n; i++) {
    const d = predicted[i] - truth[i];
    se += d * d;
    ae += Math.abs(d);
  }
  const mse = n ? se / n : 0;
  const m = mean(truth);
  const total = truth.reduce((a, y) => a + (y - m) * (y - m), 0);
  // scikit-learn's force_finite: a constant target scores 1 when predicted exactly, else 0.
  const r2 = total ? 1 - se / total : se ? 0 : 1;
  return {
    mse,
    rmse: Math.sqrt(mse),
    mae: n ? ae / n : 0,
    r2,
    pearson: pearson(truth, predicted),
    spearman: pearson(averageRanks(truth), averageRanks(predicted)),
  };
}
