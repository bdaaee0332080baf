import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadNativeKernels } from '../../src/trainer/kernels/nativeKernels';

const ROOT = path.join(__dirname, '..', '..');
/** The step-exact Hugging Face fixtures, on the trainer's thread and on gradient workers. */
const FIXTURE_TESTS = ['test/unit/trainSteps.test.ts', 'test/unit/parallelTraining.test.ts'];

/** Runs the fixture tests in a process of their own, where BERT_TUNE_NATIVE_KERNELS picks the matmul. */
function runFixtures(kernels: string) {
  // Without NODE_TEST_CONTEXT, which makes a nested test runner report to this one instead.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...FIXTURE_TESTS], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...env, BERT_TUNE_NATIVE_KERNELS: kernels },
  });
  const output = `BERT_TUNE_NATIVE_KERNELS=${kernels}:\n${run.stdout}\n${run.stderr}`;
  assert.equal(run.status, 0, output);
  assert.match(run.stdout, /ℹ pass [1-9]\d*\n/, output);
  assert.match(run.stdout, /ℹ fail 0\n/, output);
}

// The rest of the suite runs the best matmul this machine has; these run the others.
describe('the training fixtures on every matmul path', () => {
  it('pass with our WebAssembly GEMM (native kernels off)', t => {
    if (!loadNativeKernels().kernels) return t.skip('the native kernels do not run here, so the suite already ran the WebAssembly GEMM');
    runFixtures('off');
  });

  it('pass with each narrower native micro-kernel this CPU runs (AVX2 on an AVX-512 machine)', t => {
    const { kernels, reason } = loadNativeKernels();
    if (!kernels) return t.skip(`native kernels: ${reason}`);
    const others = kernels.supported().slice(1);
    if (!others.length) return t.skip(`this CPU runs only ${kernels.isa()}, which the suite already used`);
    for (const isa of others) runFixtures(isa);
  });
});
