/**
 * The trainer's entry point (bundled as dist/trainer.js): all tensor work runs in this plain
 * Node process, started by the extension or from a terminal. It never imports `vscode`.
 */
import { delimiterName, type DatasetInfo } from '../shared/dataset';
import { BACKENDS, selectBackend, type BackendName } from './backend';
import { BACKEND_SUMMARIES } from '../shared/backendReport';
import { DatasetReadError, inspectDataset } from './data/inspectDataset';
import { UsageError } from './cli/args';
import { initCheckpointCommand, logitsCommand, tokenizeCommand } from './cli/modelCommands';
import { trainCommand } from './cli/trainCommand';
import { evalCommand, predictCommand } from './cli/predictCommands';
import { exportScriptCommand, importRunCommand } from './cli/exportCommands';
import { serve } from './serve';
import { servePredict } from './servePredict';

const USAGE = `usage: bert-tune <command> [options]

commands:
  train --data FILE --text-col C --label-col C --model ID_OR_DIR --out DIR [options]
      Fine-tune a classifier (see bert-tune train --help).
  eval --model DIR --data FILE --text-col C --label-col C    Metrics of a model on labelled rows.
  predict --model DIR [--data FILE --text-col C]             Labels and probabilities.
  init-checkpoint --layers N --hidden N --heads N --intermediate N --vocab FILE --labels a,b --out DIR
      Write a random-initialised classifier of any family in the Hugging Face layout.
  export-script --run RUN_DIR --out DIR
      A folder that trains the run's recipe with transformers' Trainer (torchrun, accelerate).
  import-run --from MODEL_DIR --out RUN_DIR
      A Hugging Face model folder trained elsewhere, as a run.
  tokenize --model DIR [--max-length N]   JSON lines {"text", "text_pair"?} in, token ids out.
  logits --model DIR [--max-length N]     JSON lines in, {"logits"} out (evaluation mode).
  inspect FILE... [--json]
      Describe CSV/TSV/JSONL files as the Datasets view does: rows, dialect, header, columns
      with their likely roles, label balance, problems.
  backend [--prefer ${BACKENDS.join('|')}]
      Load the fastest TensorFlow.js backend available here and print, as JSON, which one
      and why each faster one is not used.
${BACKENDS.map(b => `        ${b.padEnd(15)} ${BACKEND_SUMMARIES[b]}`).join('\n')}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'backend') {
    const i = rest.indexOf('--prefer');
    const prefer = i >= 0 ? rest[i + 1] : undefined;
    if (prefer !== undefined && !BACKENDS.includes(prefer as BackendName)) {
      process.stderr.write(`bert-tune: --prefer takes one of ${BACKENDS.join(', ')}, not "${prefer}"\n`);
      return 2;
    }
    const report = await selectBackend({ prefer: prefer as BackendName | undefined });
    process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  }
  if (command === 'inspect') return inspect(rest);
  if (command === 'init-checkpoint') return initCheckpointCommand(rest);
  if (command === 'train') return trainCommand(rest);
  if (command === 'eval') return evalCommand(rest);
  if (command === 'serve') return serve();
  if (command === 'serve-predict') return servePredict();
  if (command === 'predict') return predictCommand(rest);
  if (command === 'tokenize') return tokenizeCommand(rest);
  if (command === 'logits') return logitsCommand(rest);
  if (command === 'export-script') return exportScriptCommand(rest);
  if (command === 'import-run') return importRunCommand(rest);
  process.stderr.write(`bert-tune: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

const INSPECT_USAGE = `usage: bert-tune inspect FILE... [--json]

Describes CSV/TSV/JSONL files as the Datasets view does: rows, dialect, header, columns with
their likely roles, label balance, problems (each with its line). Exit status 1 when a file
has an error. -- ends the options, for a file whose name starts with "-".
`;

async function inspect(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(INSPECT_USAGE);
    return 0;
  }
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  const unknown = options.find(a => a.startsWith('-') && a !== '--json');
  if (unknown) {
    process.stderr.write(`bert-tune inspect: unknown option ${unknown}\n\n${INSPECT_USAGE}`);
    return 2;
  }
  const json = options.includes('--json');
  const files = [...options.filter(a => a !== '--json'), ...(end < 0 ? [] : args.slice(end + 1))];
  if (!files.length) {
    process.stderr.write(`bert-tune inspect: name at least one file\n\n${INSPECT_USAGE}`);
    return 2;
  }
  let failed = false;
  for (const file of files) {
    try {
      const info = await inspectDataset(file);
      process.stdout.write(json ? JSON.stringify({ file, ...info }) + '\n' : describe(file, info));
      if (info.problems.some(p => p.severity === 'error')) failed = true;
    } catch (e) {
      if (!(e instanceof DatasetReadError)) throw e;
      process.stderr.write(`${file}: ${e.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

function describe(file: string, info: DatasetInfo): string {
  const lines = [`${file}`];
  const dialect =
    info.format === 'jsonl'
      ? 'JSON Lines'
      : info.delimiter
        ? `${delimiterName(info.delimiter)}-separated, ${info.hasHeader ? 'header row' : 'no header'}`
        : 'CSV';
  lines.push(`  ${info.rows} rows, ${dialect}, ${info.encoding}`);
  for (const c of info.columns) {
    const role = c.role === 'other' ? '' : ` [${c.role}]`;
    const stats = c.numeric ? 'numbers' : `mean length ${c.meanLength.toFixed(1)}`;
    lines.push(`  - ${c.name}${role}: ${c.filled} values, ${c.distinctCapped ? '≥ ' : ''}${c.distinct} distinct, ${stats}`);
    if (c.role === 'label' && c.valueCounts) {
      lines.push(`      ${c.valueCounts.map(([v, n]) => `${v}: ${n} (${((100 * n) / Math.max(1, c.filled)).toFixed(1)}%)`).join(', ')}`);
    }
  }
  for (const p of info.problems) lines.push(`  ${p.severity}: ${p.message}`);
  return lines.join('\n') + '\n';
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bert-tune: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
