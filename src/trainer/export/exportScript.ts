/**
 * "Export training script": a folder to copy to a GPU server or a cluster, where transformers'
 * Trainer (one process, torchrun or accelerate) trains with a run's exact recipe. The recipe is
 * data (recipe.json, schema version 1), read by one fixed train.py; the rows are the run's own
 * split, written out, so both sides train and validate on the same rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { escapeFormulaReversibly } from '../util/csvCells';
import type { TrainConfig } from '../../shared/trainerProtocol';
import { writeFolderAtomically } from '../checkpoint/atomicFolder';
import { readConfig } from '../checkpoint/hfCheckpoint';
import type { ModelConfig } from '../model/config';
import { resolveModel } from '../hub/resolveModel';
import { familyNamed } from '../model/families/index';
import { exampleTarget, lossSpecFor, metricForTask } from '../task/targets';
import { targetScaleOf } from '../task/targetScale';
import { METRICS } from '../../shared/metrics';
import type { TaskName } from '../../shared/tasks';
import { loadRunRows } from '../train/runRows';
import { runSteps, warmupSteps } from '../train/schedule';

export const RECIPE_SCHEMA_VERSION = 1;

/** What train.py reads; snake_case, as Python code and transformers' own files spell things. */
export interface Recipe {
  schema_version: number;
  exported_by: string;
  model: string;
  model_is_local_folder: boolean;
  source_data: string;
  text_column: string;
  pair_column: string | null;
  label_column: string;
  labels: string[];
  train_rows: number;
  validation_rows: number;
  max_length: number;
  batch_size: number;
  gradient_accumulation: number;
  learning_rate: number;
  weight_decay: number;
  schedule: TrainConfig['schedule'];
  total_steps: number;
  warmup_steps: number;
  eval_steps: number;
  max_grad_norm: number;
  class_weights: number[] | null;
  freeze_layers: number;
  head_only: boolean;
  dropout: number | null;
  early_stopping_patience: number | null;
  metric_for_best: TrainConfig['metricForBest'];
  group_by_length: boolean;
  seed: number;
  /** Added within schema version 1 (absent from older recipes: shuffled, epochs from the steps). */
  shuffle?: boolean;
  epochs?: number;
  /** Evaluate after each epoch as well as every eval_steps, as BERT Tune does. */
  steps_per_epoch?: number;
  /** The base model's family by its parts' names (absent from older recipes: BERT's). */
  family?: RecipeFamily;
  /**
   * What the head learns (absent from older recipes: single-label). The label cells of train.csv
   * and validation.csv are then a JSON array of labels (multi-label) or a number (regression).
   */
  problem_type?: TaskName;
  /** Multi-label: BCEWithLogitsLoss's pos_weight per label, on the training loss only. */
  pos_weight?: number[] | null;
  /** Whether a higher metric_for_best is better (absent from older recipes: all but the loss). */
  greater_is_better?: boolean;
  /** Regression learnt standardised: the training targets' mean and std (folded into the output layer when saved). */
  target_scale?: { mean: number; std: number } | null;
}

/** A family's parts as train.py applies them in transformers (model/family.ts: FamilyParts). */
export interface RecipeFamily {
  model_type: string;
  head: string[];
  embeddings: string[];
  layer: string;
  output_layer: string;
  dropout_keys: string[];
}

/** The base model's family by its parts' names, from its config.json. */
function recipeFamily(config: ModelConfig): RecipeFamily {
  const { parts } = familyNamed(config.family);
  return {
    model_type: config.modelType,
    head: parts.head,
    embeddings: parts.embeddings,
    layer: parts.layer,
    output_layer: parts.outputLayer,
    dropout_keys: parts.dropout,
  };
}

/** Found beside dist/trainer.js in the bundle, beside this file in the sources. */
function trainPyTemplate(): string {
  for (const file of [path.join(__dirname, 'export-train.py'), path.join(__dirname, 'train.py')]) if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  throw new Error(`train.py template missing beside ${__dirname}; rebuild BERT Tune`);
}

function readme(recipe: Recipe): string {
  const local = recipe.model_is_local_folder
    ? `\nThe base model is a local folder (\`${recipe.model}\`): on another machine, copy it there too and set \`"model"\` in recipe.json to where it is; train.py says so at once when the folder is missing.\n`
    : '';
  return `# Training script exported by BERT Tune

The recipe of a BERT Tune run (\`recipe.json\`), its rows (\`train.csv\`: ${recipe.train_rows} rows,
\`validation.csv\`: ${recipe.validation_rows} rows, the run's own split) and \`train.py\`, which trains
with Hugging Face transformers' \`Trainer\`: ${recipe.total_steps} optimizer steps of ${recipe.batch_size} rows
(x ${recipe.gradient_accumulation} accumulated), AdamW at ${recipe.learning_rate} with a ${recipe.schedule} schedule
after ${recipe.warmup_steps} warmup steps, an evaluation every ${recipe.eval_steps} steps, the best by ${recipe.metric_for_best}.
${local}
## Set up

\`\`\`sh
python3 -m venv .venv && . .venv/bin/activate
pip install -r requirements.txt      # a CUDA build of torch for a GPU: see pytorch.org
\`\`\`

## Train

| where | command |
|---|---|
| one process (CPU or one GPU) | \`python train.py\` |
| all GPUs of this machine | \`torchrun --nproc_per_node $(nvidia-smi -L \\| wc -l) train.py\` |
| the same with Accelerate | \`accelerate launch --multi_gpu --num_processes $(nvidia-smi -L \\| wc -l) train.py\` |
| several processes on a CPU machine | \`torchrun --nproc_per_node 2 train.py\` or \`accelerate launch --multi_gpu --num_processes 2 train.py\` (not \`--cpu\`: without a config file Accelerate then starts one process) |
| 2 machines x 8 GPUs | on each: \`torchrun --nnodes 2 --nproc_per_node 8 --node_rank R --rdzv_backend c10d --rdzv_endpoint HOST:29500 train.py\` (R = 0 on the machine named HOST, 1 on the other) |
| a Slurm cluster | \`srun --nodes 2 --ntasks-per-node 1 torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint $(scontrol show hostnames \\| head -1):29500 train.py\` |

The global batch stays ${recipe.batch_size} rows: each process takes its share, and each says so
when it starts ("rank 1 of 2 processes: …"): a launcher that started one process shows it there.
The loss and the gradient norm are those of the global batch, whatever the number of processes
and the accumulation. Data order and dropout draws differ from BERT Tune's (another sampler), so
the numbers are close, not equal. On several machines the model folder is written on the first
machine only (add \`save_on_each_node=True\` to the TrainingArguments in train.py to change that).

## Bring the result back

\`output/model/\` is a Hugging Face model folder (config.json with the labels, model.safetensors,
the tokenizer, trainer_state.json with the curves). In VS Code: Runs view, *Import run*, and pick
that folder; or \`bert-tune import-run --from output/model --out RUN_FOLDER\`. It opens as a run,
with its curves, ready for predictions. \`AutoModelForSequenceClassification.from_pretrained\`
reads it as it is.
`;
}

export async function exportTrainingScript(config: TrainConfig, outDir: string): Promise<{ recipe: Recipe; files: string[]; warnings: string[] }> {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length) throw new Error(`${outDir} exists and is not empty: export into a new folder`);
  // The rows, the task and the loss as the run reads them (runTraining.ts): the base model's problem_type decides where nothing else does.
  const base = readConfig((await resolveModel(config.model)).dir);
  const rows = await loadRunRows(config, base.problemType ?? undefined);
  const task = rows.data.task;
  const labels = rows.data.labels;
  const ids = new Map(labels.map((l, i) => [l, i]));
  const train = rows.train.map(r => ({ inputIds: [], tokenTypeIds: [], line: r.line, ...exampleTarget(task, r, ids, config.data) }));
  for (const r of rows.validation) exampleTarget(task, r, ids, rows.validationFile);
  const metricForBest = metricForTask(config, task).metricForBest;
  const loss = lossSpecFor(config, task, labels, train);
  const { stepsPerEpoch, totalSteps } = runSteps(rows.train.length, config);
  const recipe: Recipe = {
    schema_version: RECIPE_SCHEMA_VERSION,
    exported_by: 'BERT Tune',
    // A folder as an absolute path: train.py runs from its own folder, not from where the run was trained.
    model: fs.existsSync(config.model) ? path.resolve(config.model) : config.model,
    model_is_local_folder: fs.existsSync(config.model),
    source_data: path.resolve(config.data),
    text_column: config.textCol,
    pair_column: config.pairCol ?? null,
    label_column: config.labelCol,
    labels,
    train_rows: rows.train.length,
    validation_rows: rows.validation.length,
    max_length: config.maxLength,
    batch_size: config.batchSize,
    gradient_accumulation: config.gradientAccumulation,
    learning_rate: config.learningRate,
    weight_decay: config.weightDecay,
    schedule: config.schedule,
    total_steps: totalSteps,
    warmup_steps: warmupSteps(totalSteps, config),
    eval_steps: config.evalSteps ?? stepsPerEpoch,
    max_grad_norm: config.maxGradNorm,
    class_weights: loss.classWeights ?? null,
    pos_weight: loss.posWeight ?? null,
    freeze_layers: config.freezeLayers ?? 0,
    head_only: config.headOnly ?? false,
    dropout: config.dropout ?? null,
    early_stopping_patience: config.earlyStoppingPatience ?? null,
    metric_for_best: metricForBest,
    greater_is_better: METRICS[metricForBest].better === 'higher',
    group_by_length: config.groupByLength,
    seed: config.seed,
    shuffle: config.shuffle,
    epochs: config.epochs,
    steps_per_epoch: stepsPerEpoch,
    family: recipeFamily(base),
    problem_type: task,
    target_scale: task === 'regression' && config.standardizeTarget ? targetScaleOf(train.map(e => e.target![0])) : null,
  };
  // The label cell as train.py reads it for the task.
  const target = (r: (typeof rows.train)[number]) =>
    task === 'multi_label_classification' ? JSON.stringify(r.tags) : task === 'regression' ? String(r.value) : r.label;
  const csv = (list: typeof rows.train) =>
    stringify(
      // train.py drops the one leading ' that escapeFormulaReversibly adds, so its rows are these exactly
      list.map(r => (config.pairCol ? [r.text, r.pair ?? '', target(r)] : [r.text, target(r)]).map(escapeFormulaReversibly)),
      { header: true, columns: config.pairCol ? ['text', 'text_pair', 'label'] : ['text', 'label'] },
    );
  const files: Record<string, string> = {
    'recipe.json': JSON.stringify(recipe, null, 2) + '\n',
    'train.py': trainPyTemplate(),
    // Tested with torch 2.13, transformers 5.18 and accelerate 1.15.
    'requirements.txt': 'torch>=2.1\ntransformers>=4.46\naccelerate>=0.26\nnumpy\n',
    'train.csv': csv(rows.train),
    'validation.csv': csv(rows.validation),
    'README.md': readme(recipe),
  };
  await writeFolderAtomically(outDir, files);
  return { recipe, files: Object.keys(files), warnings: rows.warnings };
}
