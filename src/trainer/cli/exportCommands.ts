/** `bert-tune export-script` and `bert-tune import-run`: a run's recipe out to transformers' Trainer, and its result back. */
import * as path from 'node:path';
import { readRunConfig, readRunConfigFile } from '../../shared/runFolder';
import { selectBackend } from '../backend';
import { exportTrainingScript } from '../export/exportScript';
import { importRun } from '../export/importRun';
import { parseOptions, requireOption, UsageError } from './args';
import { TRAIN_USAGE, trainConfigFromArgs } from './trainCommand';

export const EXPORT_USAGE = `usage: bert-tune export-script --run RUN_DIR --out DIR
       bert-tune export-script --config TRAIN_CONFIG_JSON --out DIR
       bert-tune export-script [train options] --out DIR

Writes DIR: train.py (Hugging Face transformers' Trainer), recipe.json (the run's recipe),
train.csv and validation.csv (the run's own split), requirements.txt and a README with the
commands for one process, torchrun or accelerate on one machine, and several machines.
With --run, the recipe of that run folder; with --config, of a train-config.json; otherwise
the train options (bert-tune train --help) and --out as the folder to write.`;

export const IMPORT_USAGE = `usage: bert-tune import-run --from MODEL_DIR --out RUN_DIR

Makes RUN_DIR a BERT Tune run from a Hugging Face model folder trained elsewhere (an exported
train.py's output/model): the model in checkpoints/best, the curves of its trainer_state.json
in metrics.jsonl, its recipe in train-config.json.`;

export async function exportScriptCommand(args: string[]): Promise<number> {
  if (args.includes('--help')) {
    process.stdout.write(EXPORT_USAGE + '\n');
    return 0;
  }
  let config;
  let out: string;
  if (args.includes('--run') || args.includes('--config')) {
    const o = parseOptions(args, { run: { type: 'string' }, config: { type: 'string' }, out: { type: 'string' } }, EXPORT_USAGE);
    if (o.run && o.config) throw new UsageError(`give --run or --config, not both\n\n${EXPORT_USAGE}`);
    config = o.run ? readRunConfig(path.resolve(o.run)) : readRunConfigFile(path.resolve(requireOption(o.config, 'config', EXPORT_USAGE)), 'person');
    out = path.resolve(requireOption(o.out, 'out', EXPORT_USAGE));
  } else {
    const parsed = trainConfigFromArgs(args);
    if (!parsed.config) throw new Error(`export-script takes --run or the train options\n\n${EXPORT_USAGE}\n\n${TRAIN_USAGE}`);
    config = parsed.config;
    out = path.resolve(config.out);
  }
  const { recipe, files, warnings } = await exportTrainingScript(config, out);
  warnings.forEach(w => process.stderr.write(`warning: ${w}\n`));
  process.stdout.write(
    JSON.stringify({ out, files, totalSteps: recipe.total_steps, trainRows: recipe.train_rows, validationRows: recipe.validation_rows }) + '\n',
  );
  return 0;
}

export async function importRunCommand(args: string[]): Promise<number> {
  const o = parseOptions(args, { from: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } }, IMPORT_USAGE);
  if (o.help) {
    process.stdout.write(IMPORT_USAGE + '\n');
    return 0;
  }
  if (o.from === undefined && o.out === undefined) throw new UsageError(`--from and --out are required\n\n${IMPORT_USAGE}`);
  const out = path.resolve(requireOption(o.out, 'out', IMPORT_USAGE));
  await selectBackend(); // the model is loaded once, to check it is a classifier of a family BERT Tune runs
  const r = await importRun(path.resolve(requireOption(o.from, 'from', IMPORT_USAGE)), out);
  r.notices.forEach(n => process.stderr.write(`note: ${n}\n`));
  process.stdout.write(JSON.stringify({ out, messages: r.messages }) + '\n');
  return 0;
}
