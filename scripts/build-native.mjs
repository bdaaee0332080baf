// Builds the optional native GEMM addon (src/trainer/kernels/native, see gemm.c) with node-gyp,
// the one npm ships. Runs after `npm install`; a machine without a C compiler still installs
// (the trainer then says why it uses the WebAssembly kernels). `--strict` fails instead, for CI.
// Node's own headers are used when they sit beside node (Linux packages and the official
// builds have them), so nothing is downloaded.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict');
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'src/trainer/kernels/native');

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts
    path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find(f => f && fs.existsSync(f));
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.join(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include/node/node_api.h')) ? prefix : undefined;
}

function fail(why) {
  const message = `native kernels not built: ${why}. Training uses the WebAssembly kernels (slower on CPUs with AVX2 or AVX-512).`;
  if (strict) {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

if (process.env.BERT_TUNE_SKIP_NATIVE_BUILD) fail('BERT_TUNE_SKIP_NATIVE_BUILD is set');
const gyp = nodeGyp();
if (!gyp) fail('node-gyp (shipped with npm) was not found');
const nodedir = nodeDir();
const args = [gyp, 'rebuild', '--directory', dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
if (result.status !== 0) {
  const lines = `${result.stdout}\n${result.stderr}`
    .split('\n')
    .filter(l => /error|ERR!/i.test(l))
    .slice(0, 3);
  fail(`node-gyp failed (${lines.join(' | ').trim() || `exit ${result.status}`})`);
}
console.log(`native kernels built: ${path.relative(root, path.join(dir, 'build/Release/bert_tune_kernels.node'))}`);
