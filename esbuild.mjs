// Builds the three bundles: the extension host (dist/extension.js), the trainer side
// (dist/trainer.js, the dataset inspector and gradient workers, with tfjs's .wasm files beside them) and
// the webview apps (dist/webview/*.js). `--watch` rebuilds on change, `--production` minifies.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const withTests = process.argv.includes('--tests');

const common = {
  bundle: true,
  // Source maps for development; the .vsix ships without them.
  sourcemap: !production,
  minify: production,
  logLevel: watch ? 'warning' : 'info',
};

/**
 * Copies the tfjs WASM binaries beside the trainer bundle, where backend.ts looks for them, the
 * native GEMM addon when it was built (npm run build:native), where nativeKernels.ts does, and
 * Dawn's WebGPU binary for this platform, where backends/dawn.ts does.
 */
const copyWasm = {
  name: 'copy-tfjs-wasm',
  setup(build) {
    build.onEnd(() => {
      const from = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
      for (const f of fs.readdirSync(from).filter(f => f.endsWith('.wasm'))) {
        fs.copyFileSync(path.join(from, f), path.join('dist', f));
      }
      // Named for this platform, as src/trainer/kernels/nativeKernels.ts looks for it.
      const addon = 'src/trainer/kernels/native/build/Release/bert_tune_kernels.node';
      const target = `dist/bert_tune_kernels-${process.platform}-${process.arch}.node`;
      if (fs.existsSync(addon)) {
        // Copied then renamed: a trainer still running has the old file mapped.
        fs.copyFileSync(addon, `${target}.tmp`);
        fs.renameSync(`${target}.tmp`, target);
      } else fs.rmSync(target, { force: true });
      // The exported training script's template, where src/trainer/export/exportScript.ts looks for it.
      fs.copyFileSync('src/trainer/export/train.py', 'dist/export-train.py');
      // Dawn's WebGPU binary for this platform, where src/trainer/backends/dawn.ts looks for it.
      const dawnDir = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
      const dawn = `node_modules/webgpu/dist/${dawnDir}/dawn.node`;
      const dawnTarget = `dist/dawn-${process.platform}-${process.arch}.node`;
      if (fs.existsSync(dawn)) {
        fs.copyFileSync(dawn, `${dawnTarget}.tmp`);
        fs.renameSync(`${dawnTarget}.tmp`, dawnTarget);
      }
    });
  },
};

const node = { ...common, platform: 'node', target: 'node20', format: 'cjs' };

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    ...node,
    entryPoints: { extension: 'src/extension/main.ts' },
    outdir: 'dist',
    external: ['vscode'],
  },
  {
    ...node,
    entryPoints: {
      trainer: 'src/trainer/main.ts',
      datasetInspector: 'src/trainer/datasetInspectorWorker.ts',
      gradientWorker: 'src/trainer/parallel/gradientWorker.ts',
    },
    outdir: 'dist',
    // dist/trainer.js is also the package's `bert-tune` bin.
    banner: { js: '#!/usr/bin/env node' },
    // Native backends are optional and loaded at run time when present; never bundled.
    external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
    // tfjs's ESM builds are the ones its package.json lists as having side effects (kernel and
    // backend registration); its CommonJS "main" would be tree-shaken away.
    mainFields: ['module', 'main'],
    plugins: [copyWasm],
  },
  {
    ...common,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    entryPoints: {
      datasetSummary: 'webview-ui/src/datasetSummary/main.ts',
      metrics: 'webview-ui/src/metrics/main.ts',
      evaluation: 'webview-ui/src/evaluation/main.ts',
    },
    outdir: 'dist/webview',
  },
];

if (withTests) {
  // The integration suite runs inside the extension host, so it is bundled like the extension.
  builds.push({
    ...node,
    entryPoints: fs
      .readdirSync('test/integration')
      .filter(f => f.endsWith('.ts'))
      .map(f => `test/integration/${f}`),
    outdir: 'out/test/integration',
    external: ['vscode', 'mocha'],
  });
}

/**
 * Lines the "npm: watch" task's problem matcher (.vscode/tasks.json) waits for: one "started"
 * when the first of the bundles starts rebuilding, one "finished" when the last is done.
 */
let building = 0;
const watchReporter = {
  name: 'watch-reporter',
  setup(build) {
    build.onStart(() => {
      if (building++ === 0) console.log('[watch] build started');
    });
    build.onEnd(result => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (--building === 0) console.log('[watch] build finished');
    });
  },
};

if (!watch) {
  // Stale files (source maps of a development build, a renamed entry) must not reach a .vsix.
  fs.rmSync('dist', { recursive: true, force: true });
}

if (watch) {
  const contexts = await Promise.all(builds.map(b => esbuild.context({ ...b, plugins: [...(b.plugins ?? []), watchReporter] })));
  await Promise.all(contexts.map(c => c.watch()));
} else {
  await Promise.all(builds.map(b => esbuild.build(b)));
}
