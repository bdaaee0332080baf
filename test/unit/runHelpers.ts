/** A training run in this process, every message it sends validated against the shared protocol and kept. */
import { fromTrainerSchema, type FromTrainer, type TrainConfig } from '../../src/shared/trainerProtocol';
import { runTraining } from '../../src/trainer/train/runTraining';

export interface RunOptions {
  /** Asks the run to stop once this many steps are done. */
  stopAfter?: number;
  resume?: boolean;
  /** Called after each step's progress message, with the steps done. */
  onProgress?: (step: number) => void;
}

export async function runCollecting(cfg: TrainConfig, options: RunOptions = {}) {
  const messages: FromTrainer[] = [];
  let steps = 0;
  const done = await runTraining(
    cfg,
    {
      emit: m => {
        // everything the trainer says must pass the shared protocol's validation
        messages.push(fromTrainerSchema.parse(m));
        if (m.type !== 'progress') return;
        steps++;
        options.onProgress?.(steps);
      },
      shouldStop: () => options.stopAfter !== undefined && steps >= options.stopAfter,
    },
    { resume: options.resume },
  );
  return { done, messages };
}
