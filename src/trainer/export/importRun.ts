/**
 * "Import run": a Hugging Face model folder trained elsewhere (an exported train.py's
 * output/model, or any BertForSequenceClassification folder) becomes a BERT Tune run: its files
 * in checkpoints/best, its curves (transformers' trainer_state.json log_history) as metrics.jsonl
 * messages, its recipe (when train.py wrote one) as train-config.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, checkpointDir, runConfigText } from '../../shared/runFolder';
import { fromTrainerSchema, trainConfigSchema, TRAIN_DEFAULTS, type FromTrainer, type TrainConfig } from '../../shared/trainerProtocol';
import { writeFolderAtomically } from '../checkpoint/atomicFolder';
import { loadCheckpoint, taskOf } from '../checkpoint/hfCheckpoint';
import { METRICS, metricsOf } from '../../shared/metrics';
import { DEFAULT_TASK, type TaskName } from '../../shared/tasks';
import type { Recipe } from './exportScript';
import { writeFileReplacingAtomically } from '../train/runFolderWriter';
import type { FamilyName } from '../../shared/families';

interface LogEntry {
  step?: number;
  epoch?: number;
  loss?: number;
  grad_norm?: number;
  learning_rate?: number;
  eval_loss?: number;
  eval_accuracy?: number;
  eval_macro_f1?: number;
  /** The other tasks' metrics: eval_micro_f1, eval_r2, … (shared/metrics.ts names). */
  [metric: `eval_${string}`]: number | undefined;
}

interface HfTrainerState {
  log_history?: LogEntry[];
  max_steps?: number;
  best_global_step?: number | null;
  best_metric?: number | null;
  global_step?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function readJson<T>(file: string): T | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * transformers' trainer_state.json, checked before anything is written: a file another tool
 * damaged or wrote is refused naming the field, not met as "history.map is not a function".
 */
function readTrainerStateFile(file: string): HfTrainerState {
  const raw = readJson<unknown>(file);
  if (raw === undefined) return {};
  const fix = `Fix it, or move it out of the folder to import the model without its curves.`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: not a JSON object. ${fix}`);
  const state = raw as Record<string, unknown>;
  if (state.log_history !== undefined) {
    if (!Array.isArray(state.log_history))
      throw new Error(`${file}: "log_history" must be a list of log entries, not ${JSON.stringify(state.log_history).slice(0, 60)}. ${fix}`);
    state.log_history.forEach((h: unknown, i) => {
      if (!h || typeof h !== 'object' || Array.isArray(h))
        throw new Error(`${file}: log_history[${i}] must be an object of numbers (step, loss, eval_loss…). ${fix}`);
    });
  }
  for (const key of ['max_steps', 'global_step', 'best_global_step', 'best_metric'])
    if (state[key] !== undefined && state[key] !== null && typeof state[key] !== 'number')
      throw new Error(`${file}: "${key}" must be a number, not ${JSON.stringify(state[key])}. ${fix}`);
  return state as HfTrainerState;
}

function configFromRecipe(recipe: Recipe, out: string): TrainConfig | undefined {
  const parsed = trainConfigSchema.safeParse({
    ...TRAIN_DEFAULTS,
    data: recipe.source_data,
    textCol: recipe.text_column,
    pairCol: recipe.pair_column ?? undefined,
    labelCol: recipe.label_column,
    model: recipe.model,
    out,
    maxLength: recipe.max_length,
    batchSize: recipe.batch_size,
    gradientAccumulation: recipe.gradient_accumulation,
    learningRate: recipe.learning_rate,
    weightDecay: recipe.weight_decay,
    schedule: recipe.schedule,
    maxSteps: recipe.total_steps,
    warmupSteps: recipe.warmup_steps,
    evalSteps: recipe.eval_steps,
    maxGradNorm: recipe.max_grad_norm,
    classWeights: recipe.class_weights ?? recipe.pos_weight ?? 'none',
    problemType: recipe.problem_type,
    freezeLayers: recipe.freeze_layers || undefined,
    headOnly: recipe.head_only || undefined,
    dropout: recipe.dropout ?? undefined,
    earlyStoppingPatience: recipe.early_stopping_patience ?? undefined,
    metricForBest: recipe.metric_for_best,
    groupByLength: recipe.group_by_length,
    seed: recipe.seed,
    shuffle: recipe.shuffle ?? true,
    // the run's own epochs; an older recipe's from its steps (max_steps decides the run's length anyway)
    epochs: recipe.epochs ?? (recipe.steps_per_epoch ? recipe.total_steps / recipe.steps_per_epoch : TRAIN_DEFAULTS.epochs),
  });
  return parsed.success ? parsed.data : undefined;
}

/** The messages a run of BERT Tune would have written, from transformers' log history. */
export function messagesFromTrainerState(
  state: HfTrainerState,
  labels: string[],
  runDir: string,
  recipe?: Recipe,
  family?: FamilyName,
  task: TaskName = DEFAULT_TASK,
): FromTrainer[] {
  const history = state.log_history ?? [];
  const totalSteps = num(state.max_steps) ?? num(state.global_step) ?? history.reduce((m, h) => Math.max(m, num(h.step) ?? 0), 0);
  const bestStep = num(state.best_global_step ?? undefined);
  const out: FromTrainer[] = [
    { type: 'log', message: `Imported from a Hugging Face Trainer run (${history.length} log entries).` },
    {
      type: 'started',
      runDir,
      backend: 'imported (transformers Trainer)',
      backendNotes: [],
      labels,
      trainRows: recipe?.train_rows ?? 0,
      validationRows: recipe?.validation_rows ?? 0,
      totalSteps,
      parameters: 0,
      family,
      task,
    },
  ];
  // train.py logs the task's metrics under BERT Tune's names, prefixed "eval_" by the Trainer.
  const taskMetrics = (h: LogEntry) =>
    Object.fromEntries(
      metricsOf(task)
        .filter(m => m !== 'loss' && num(h[`eval_${m}`]) !== undefined)
        .map(m => [METRICS[m].field, h[`eval_${m}`]]),
    );
  const evaluatedAt = new Set<number>();
  for (const h of history) {
    const step = num(h.step);
    if (step === undefined) continue;
    const epoch = Math.max(0, num(h.epoch) ?? 0);
    if (num(h.loss) !== undefined) {
      out.push({
        type: 'progress',
        step,
        totalSteps,
        epoch,
        loss: h.loss!,
        gradNorm: num(h.grad_norm) ?? 0,
        learningRate: Math.max(0, num(h.learning_rate) ?? 0),
        samplesPerSecond: 0,
        etaSeconds: 0,
      });
    }
    // One evaluation per step, as a run writes them (a trainer.evaluate() after training repeats the last step's).
    if (num(h.eval_loss) !== undefined && !evaluatedAt.has(step)) {
      evaluatedAt.add(step);
      out.push({
        type: 'evaluation',
        step,
        epoch,
        loss: h.eval_loss!,
        task,
        // A single-label run shows accuracy and macro-F1 even where the Trainer logged none (as before tasks).
        ...(task === 'single_label_classification' && { accuracy: Math.max(0, num(h.eval_accuracy) ?? 0), macroF1: Math.max(0, num(h.eval_macro_f1) ?? 0) }),
        ...taskMetrics(h),
        perClass: [],
        confusion: [],
        misclassified: [],
        isBest: step === bestStep,
      });
    }
  }
  return out;
}

export async function importRun(from: string, runDir: string): Promise<{ messages: number; notices: string[] }> {
  if (fs.existsSync(runDir)) throw new Error(`${runDir} exists already: import into a new run folder`);
  // It must load here before it becomes a run: a classifier of a family BERT Tune runs, with its tokenizer.
  const loaded = loadCheckpoint(from);
  const labels = loaded.config.id2label;
  const family = loaded.config.family;
  const task = taskOf(loaded.config);
  loaded.model.dispose();
  const hasState = fs.existsSync(path.join(from, 'trainer_state.json'));
  const state = readTrainerStateFile(path.join(from, 'trainer_state.json'));
  const recipe = readJson<Recipe>(path.join(from, 'bert_tune_recipe.json'));
  const messages = messagesFromTrainerState(state, labels, runDir, recipe, family, task);
  // A plain model folder (save_pretrained, no Trainer) is a run without curves: said, not implied.
  const noCurves = `${from} has no trainer_state.json: imported as a model without curves (its training was not recorded), ready for predictions and evaluations.`;
  if (!hasState) messages.push({ type: 'log', message: noCurves });
  const bestStep = num(state.best_global_step ?? undefined);
  const lastStep = num(state.global_step) ?? 0;
  messages.push({ type: 'checkpoint', kind: 'best', path: checkpointDir(runDir, 'best'), step: bestStep ?? lastStep });
  messages.push({
    type: 'done',
    status: 'completed',
    reason: hasState ? `imported from ${from}` : `imported from ${from}, without curves (no trainer_state.json)`,
    step: lastStep,
    bestMetric: num(state.best_metric ?? undefined),
    bestStep,
  });
  // What other processes read is validated as they will read it.
  const lines = messages.map(m => JSON.stringify(fromTrainerSchema.parse(m)));

  const files: Record<string, Buffer> = {};
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    // training_args.bin is a pickle of the Trainer's arguments: nothing a run needs, and nothing we unpickle.
    if (entry.isFile() && !entry.name.startsWith('.') && entry.name !== 'training_args.bin') files[entry.name] = fs.readFileSync(path.join(from, entry.name));
  }
  // Made beside the run under a hidden name and renamed into place at the end: a failure leaves
  // no half-made run behind, and the Runs view never lists one.
  const making = path.join(path.dirname(runDir), `.importing-${path.basename(runDir)}-${process.pid}`);
  fs.rmSync(making, { recursive: true, force: true });
  fs.mkdirSync(making, { recursive: true });
  try {
    await writeFolderAtomically(checkpointDir(making, 'best'), files);
    const config = recipe && configFromRecipe(recipe, runDir);
    if (config) writeFileReplacingAtomically(path.join(making, RUN_FILES.config), runConfigText(config));
    writeFileReplacingAtomically(path.join(making, RUN_FILES.metrics), lines.join('\n') + '\n');
    fs.writeFileSync(path.join(making, RUN_FILES.log), `${new Date().toISOString()} imported ${from} as a run (${messages.length} messages)\n`, { flag: 'wx' });
    fs.renameSync(making, runDir);
  } catch (e) {
    fs.rmSync(making, { recursive: true, force: true });
    throw e;
  }
  return { messages: messages.length, notices: [...loaded.notices, ...(hasState ? [] : [noCurves])] };
}
