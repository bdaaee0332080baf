/**
 * Whether a run learned anything, read from its messages: declared once for the trainer's log,
 * the finished notification and the metrics panel. A run whose accuracy is no better than
 * always answering the most frequent class has learned nothing from the texts, however
 * "completed" it is; a validation loss that climbs while the training loss falls is a model
 * memorising its training rows.
 */
import type { FromTrainer } from './trainerProtocol';

type Evaluation = Extract<FromTrainer, { type: 'evaluation' }>;
/** A step's training loss (a progress message has these and more). */
type StepLoss = { step: number; loss: number };

export interface RunDiagnosis {
  kind: 'noSignal' | 'overfitting';
  /** One paragraph for people: what was measured, what it means, what to try. */
  message: string;
}

/** Accuracy within this of the majority class's share counts as no better. */
const NO_BETTER = 0.01;
/** A validation loss this much above its lowest, at the last evaluation, counts as climbing. */
const CLIMB = 0.1;

/** What the causes name: the run's peak learning rate, its training rows, whether it started from random weights. */
export interface RunContext {
  learningRate?: number;
  trainRows?: number;
  fromScratch?: boolean;
}

/** The diagnoses of a run's messages (metrics.jsonl, resumes included). */
export function diagnoseMessages(messages: readonly FromTrainer[], context: Omit<RunContext, 'trainRows'> = {}): RunDiagnosis[] {
  const started = messages.filter(m => m.type === 'started').at(-1);
  return diagnoseRun(
    messages.filter((m): m is Evaluation => m.type === 'evaluation'),
    messages.filter((m): m is Extract<FromTrainer, { type: 'progress' }> => m.type === 'progress'),
    { ...context, trainRows: started?.type === 'started' ? started.trainRows : undefined },
  );
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/** What the run's evaluations say is wrong, if anything; nothing before its first evaluation. */
export function diagnoseRun(evaluations: readonly Evaluation[], progress: readonly StepLoss[], context: RunContext = {}): RunDiagnosis[] {
  const out: RunDiagnosis[] = [];
  const noSignal = noSignalOf(evaluations, context);
  if (noSignal) out.push(noSignal);
  const overfitting = overfittingOf(evaluations, progress);
  if (overfitting) out.push(overfitting);
  return out;
}

function noSignalOf(evaluations: readonly Evaluation[], context: RunContext): RunDiagnosis | undefined {
  // Single-label only: "as good as always answering the majority class" has no twin for the other tasks yet.
  if (!evaluations.length || evaluations.some(e => e.accuracy === undefined || e.macroF1 === undefined)) return undefined;
  const accuracy = (e: Evaluation) => e.accuracy!;
  const best = evaluations.reduce((a, e) => (accuracy(e) > accuracy(a) ? e : a));
  // The majority class from the matrix of the best evaluation: its rows are the true labels.
  const { confusion, perClass } = best;
  if (!confusion.length || best.omittedClasses) return undefined;
  const truth = confusion.map(row => row.reduce((a, b) => a + b, 0));
  const total = truth.reduce((a, b) => a + b, 0);
  if (total < 10) return undefined;
  const majority = truth.indexOf(Math.max(...truth));
  const share = truth[majority] / total;
  if (accuracy(best) > share + NO_BETTER) return undefined;
  const predicted = perClass.map((_, j) => confusion.reduce((a, row) => a + row[j], 0));
  const top = predicted.indexOf(Math.max(...predicted));
  const collapsed = predicted[top] >= 0.99 * total;
  const causes = [
    `the learning rate${context.learningRate !== undefined ? ` (${context.learningRate})` : ''}: too high collapses a model onto one class, too low leaves it where it started`,
    `too little data${context.trainRows !== undefined ? ` (${context.trainRows.toLocaleString('en-US')} training rows)` : ''}`,
    context.fromScratch
      ? 'training from scratch, which needs far more data and epochs than fine-tuning a pretrained model: start from a pretrained one'
      : 'a base model that does not know the language of the texts',
  ];
  return {
    kind: 'noSignal',
    message: `No better than guessing: the best accuracy, ${pct(accuracy(best))} (macro-F1 ${pct(best.macroF1!)}), is what always answering "${perClass[majority].label}" scores (${pct(share)} of the validation rows)${collapsed ? `, and the model answers "${perClass[top].label}" for every row` : ''}. It has not learned from the texts. Likely causes: ${causes.join('; ')}.`,
  };
}

function overfittingOf(evaluations: readonly Evaluation[], progress: readonly StepLoss[]): RunDiagnosis | undefined {
  if (evaluations.length < 3) return undefined;
  const lowest = evaluations.reduce((a, e) => (e.loss < a.loss ? e : a));
  const last = evaluations[evaluations.length - 1];
  if (last === lowest || !(last.loss > lowest.loss * (1 + CLIMB))) return undefined;
  // The training loss around each of the two evaluations: the mean of the steps since the previous one.
  const around = (e: Evaluation) => {
    const i = evaluations.indexOf(e);
    const from = i > 0 ? evaluations[i - 1].step : 0;
    const steps = progress.filter(p => p.step > from && p.step <= e.step);
    return steps.length ? steps.reduce((a, p) => a + p.loss, 0) / steps.length : undefined;
  };
  const trainThen = around(lowest);
  const trainNow = around(last);
  if (trainThen === undefined || trainNow === undefined || !(trainNow < trainThen)) return undefined;
  return {
    kind: 'overfitting',
    message: `The validation loss rose from ${lowest.loss.toFixed(4)} (step ${lowest.step}) to ${last.loss.toFixed(4)} (step ${last.step}) while the training loss fell from ${trainThen.toFixed(4)} to ${trainNow.toFixed(4)}: the model is memorising its training rows. Predictions use the best checkpoint; fewer epochs, early stopping or more data help.`,
  };
}
