/**
 * The trainer's entry point (bundled as dist/trainer.js): all tensor work runs in this plain
 * Node process, started by the extension or from a terminal. It never imports `vscode`.
 */
import { BACKENDS, selectBackend, type BackendName } from './backend';

const USAGE = `usage: bert-tune <command> [options]

commands:
  backend [--prefer tensorflow-gpu|tensorflow|wasm|cpu]
      Load the fastest TensorFlow.js backend available here and print, as JSON, which one
      and why each faster one is not used.
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
  process.stderr.write(`bert-tune: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  code => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bert-tune: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
