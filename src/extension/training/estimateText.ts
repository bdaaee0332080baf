/**
 * The words of the confirmation a run asks before it trains: rows, labels, what the trainer
 * found wrong with the data (the lines it skips, texts with two labels, validation rows that
 * repeat training rows), the texts' lengths, the time and memory it expects. Plain text: VS Code
 * shows it in a modal dialog. Kept apart from `vscode` so that it is unit-tested.
 */
import * as path from 'node:path';
import { describeTokenLengths, tokenLengthAdvice, type DataFinding } from '../../shared/dataFindings';
import { describeImbalance } from '../../shared/labelBalance';
import { describeMemoryShortfall } from '../../shared/memoryFit';
import type { FromTrainer, TrainConfig } from '../../shared/trainerProtocol';
import { count } from '../../shared/words';
import { formatEstimate } from '../../shared/duration';
import { TASKS } from '../../shared/tasks';

export type Estimate = Extract<FromTrainer, { type: 'estimate' }>;

/** A finding as the dialog says it: the training file is the one in its title, so only another file is named. */
export function findingSentence(f: DataFinding, trainFile: string): string {
  const text = f.message.startsWith(`${f.file}: `) ? f.message.slice(f.file.length + 2) : f.message;
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return path.resolve(f.file) === path.resolve(trainFile) ? sentence : `${path.basename(f.file)}: ${sentence}`;
}

/** Whether a finding has lines the Problems panel can list. */
export const hasLines = (e: Estimate): boolean => (e.findings ?? []).some(f => f.lines.length > 0);

/** A run from random weights on fewer rows than this is told it will learn little. */
export const SMALL_FROM_SCRATCH_ROWS = 20_000;

export function estimateDetail(
  e: Estimate,
  config: Pick<TrainConfig, 'data' | 'classWeights' | 'metricForBest' | 'problemType'> &
    Partial<Pick<TrainConfig, 'model' | 'epochs' | 'maxSteps' | 'learningRate' | 'batchSize' | 'validationData'>>,
  fromScratch = false,
): string {
  const task = e.task ?? config.problemType ?? 'single_label_classification';
  const balance = e.labelCounts.map(([l, n]) => `${l}: ${n.toLocaleString('en-US')} (${((100 * n) / Math.max(1, e.trainRows)).toFixed(0)}%)`).join(', ');
  const changeThem = '(Cancel, then change them in the settings step.)';
  // Absent in the estimates of older trainers.
  const memory =
    e.peakMemoryBytes !== undefined && e.availableMemoryBytes !== undefined
      ? {
          shortfall: describeMemoryShortfall(e.peakMemoryBytes, e.availableMemoryBytes),
          figure: `Memory: about ${(e.peakMemoryBytes / 2 ** 30).toFixed(1)} GB at the peak, of ${(e.availableMemoryBytes / 2 ** 30).toFixed(1)} GB available.`,
        }
      : undefined;
  const findings = e.findings ?? [];
  const skipped = e.skippedRows && !findings.length ? `, ${e.skippedRows} skipped (an empty text or label, or cells that do not line up with the header)` : '';
  return [
    `${e.trainRows.toLocaleString('en-US')} training rows, ${e.validationRows.toLocaleString('en-US')} validation rows${config.validationData ? ` (from ${path.basename(config.validationData)})` : ''}${skipped}.`,
    // What it trains, restated: the choices of the steps before, in one line.
    ...(config.model !== undefined
      ? [
          `Model: ${fromScratch ? 'from scratch (random weights)' : config.model} · ${config.maxSteps ? count(config.maxSteps, 'step') : count(config.epochs ?? 0, 'epoch')} · learning rate ${config.learningRate} · batch ${config.batchSize}.`,
        ]
      : []),
    ...(fromScratch && e.trainRows < SMALL_FROM_SCRATCH_ROWS
      ? [
          `⚠ From scratch on ${e.trainRows.toLocaleString('en-US')} rows: a model from random weights learns words and grammar from its rows alone, and needs hundreds of thousands; it will likely do little better than guessing. Start from a pretrained model (Cancel, then choose one at the model step).`,
        ]
      : []),
    `Task: ${TASKS[task].title}.`,
    // Multi-label: the rows that have each label; regression has no labels to count.
    ...(task === 'regression' ? [] : [`${task === 'multi_label_classification' ? 'Rows with each label' : 'Labels'}: ${balance}.`]),
    ...[task === 'single_label_classification' && describeImbalance(e.labelCounts, config.classWeights, config.metricForBest)]
      .filter(Boolean)
      .map(s => `${s} ${changeThem}`),
    ...findings.map(f => `⚠ ${findingSentence(f, config.data)}`),
    ...(e.notes ?? []).map(n => `⚠ ${n}`),
    ...(hasLines(e) ? ['Show Lines lists every line in the Problems panel and opens the first; the run waits, to start or cancel from its notification.'] : []),
    ...(e.tokenLengths ? [`Lengths: ${describeTokenLengths(e.tokenLengths)}; 95% of the texts fit in ${count(e.tokenLengths.p95, 'token')}.`] : []),
    ...[e.tokenLengths && tokenLengthAdvice(e.tokenLengths)].filter(Boolean).map(s => `⚠ ${s} ${changeThem}`),
    ...(memory?.shortfall ? [`⚠ ${memory.shortfall} (Cancel, then change them in the settings step; bertTune.training.batchSize sets the default.)`] : []),
    `${count(e.totalSteps, 'step')}, about ${formatEstimate(e.estimatedSeconds)} on this machine (measured: ${e.secondsPerStep.toFixed(2)} s per step).`,
    ...(memory ? [memory.figure] : []),
  ].join('\n');
}
