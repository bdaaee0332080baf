/** A protocol message as one line a person reads: log.txt and the CLI's --log-steps (metrics.jsonl keeps the JSON). */
import type { FromTrainer } from '../../shared/trainerProtocol';
import { describeMetrics } from '../../shared/metrics';

export function describeMessage(m: FromTrainer): string {
  switch (m.type) {
    case 'log':
      return m.message;
    case 'warning':
    case 'error':
      return `${m.type}: ${m.message}`;
    case 'started':
      return `started: ${m.trainRows} training and ${m.validationRows} validation rows, labels ${m.labels.join(', ')}, ${m.totalSteps} steps on ${m.backend}${m.resumedFromStep !== undefined ? `, resumed at step ${m.resumedFromStep}` : ''}`;
    case 'estimate':
      return `estimate: ${m.totalSteps} steps at ${m.secondsPerStep.toFixed(2)} s each, about ${Math.round(m.estimatedSeconds)} s in all`;
    case 'progress':
      return `step ${m.step}/${m.totalSteps}  epoch ${m.epoch.toFixed(2)}  loss ${m.loss.toFixed(4)}  grad norm ${m.gradNorm.toFixed(4)}  lr ${m.learningRate.toExponential(3)}  ${m.samplesPerSecond.toFixed(1)} samples/s`;
    case 'evaluation':
      return `eval at step ${m.step}: ${describeMetrics(m, 2, '  ')}${m.isBest ? '  (best)' : ''}`;
    case 'checkpoint':
      return `saved the ${m.kind} checkpoint at step ${m.step}: ${m.path}`;
    case 'done':
      return `done: ${m.status} at step ${m.step}${m.reason ? ` (${m.reason})` : ''}`;
  }
}
