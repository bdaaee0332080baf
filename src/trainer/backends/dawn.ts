/**
 * Dawn's Node bindings (`dawn.node`, from the npm package `webgpu`): the WebGPU implementation
 * the webgpu backend runs on, which drives the GPU through Vulkan (Linux, Windows), Metal (macOS)
 * or D3D12 (Windows) with no CUDA toolkit. Loaded by hand rather than through the package's
 * ES module, so that the bundled trainer finds the one binary esbuild.mjs copied beside it.
 * Node has no `navigator`: the WebGPU globals (GPUBufferUsage…) and `navigator.gpu` are
 * installed here, before tfjs-backend-webgpu needs them.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Its name beside the bundled trainer: per platform, as the native kernels' (../kernels/nativeKernels.ts). */
export const DAWN_FILE = `dawn-${process.platform}-${process.arch}.node`;

/** The package's folder name for this platform (one universal build on macOS). */
const packagePlatform = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;

function candidates(): string[] {
  const out = [path.join(__dirname, DAWN_FILE)];
  try {
    out.push(path.join(path.dirname(require.resolve('webgpu/package.json')), 'dist', packagePlatform, 'dawn.node'));
  } catch {
    /* not installed: only the bundled copy */
  }
  return out;
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

let loaded: { gpu: GPU } | { reason: string } | undefined;

/** Whether this process has Dawn (or a WebGPU of its own) loaded already: then there is nothing to save by asking elsewhere. */
export function dawnLoadedHere(): boolean {
  return Boolean(loaded) || Boolean((globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu);
}

/** Vulkan's loader complains on stderr without a runtime folder; any private folder does. */
function ensureRuntimeDir(): void {
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) {
    process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-xdg-'));
  }
}

/** Why there is no WebGPU: Dawn loaded, and no driver gave it an adapter. */
export const NO_ADAPTER = 'no GPU adapter: Dawn found no GPU with a Vulkan, Metal or D3D12 driver';

/** What a probe learns of the adapter Dawn would give: the facts adapterReport reads. */
export interface ProbedAdapter {
  info: { vendor: string; architecture: string; description: string; device: string };
  features: string[];
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
}

/** Loads Dawn, asks for the adapter, prints its facts as one JSON line (null: none), exits. */
const PROBE_SCRIPT = `
const m = { exports: {} };
process.dlopen(m, process.env.BERT_TUNE_DAWN_FILE);
const out = v => { process.stdout.write(JSON.stringify(v) + '\\n'); process.exit(0); };
m.exports.create([]).requestAdapter({ powerPreference: 'high-performance' }).then(a => out(a && {
  info: { vendor: a.info.vendor || '', architecture: a.info.architecture || '', description: a.info.description || '', device: a.info.device || '' },
  features: [...a.features],
  limits: { maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize },
}), e => out({ error: String(e && e.message || e) }));`;

/**
 * The adapter Dawn would give, asked in a short-lived process: loading Dawn and a Vulkan driver
 * costs this process 25-65 MB that it never gives back (Mesa's llvmpipe maps LLVM), which is
 * worth paying only for a GPU that will be used. `undefined` where the probe itself could not
 * run (then the caller asks in-process, as before).
 */
export function probeAdapter(timeoutMs: number): Promise<ProbedAdapter | { reason: string } | undefined> {
  const file = candidates().find(f => fs.existsSync(f));
  if (!file) return Promise.resolve({ reason: `Dawn (the WebGPU implementation) is not shipped for ${process.platform}-${process.arch}` });
  ensureRuntimeDir();
  return new Promise(resolve => {
    execFile(
      process.execPath,
      ['-e', PROBE_SCRIPT],
      { env: { ...process.env, BERT_TUNE_DAWN_FILE: file, ELECTRON_RUN_AS_NODE: '1' }, timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        let answer: unknown;
        try {
          answer = JSON.parse(line);
        } catch {
          // Killed for the timeout, or Dawn crashed the probe: no adapter this process could trust either.
          return resolve(error?.killed ? { reason: `no GPU adapter: asking for one took over ${timeoutMs / 1000} s` } : undefined);
        }
        if (answer === null) return resolve({ reason: NO_ADAPTER });
        if (typeof answer === 'object' && answer && 'error' in answer)
          return resolve({ reason: `no GPU adapter: ${String((answer as { error: unknown }).error)}` });
        resolve(answer as ProbedAdapter);
      },
    );
  });
}

/** navigator.gpu from Dawn, or why there is none (not shipped for this platform, failed to load). */
export function loadDawn(): { gpu: GPU } | { reason: string } {
  if (loaded) return loaded;
  // A runtime with a WebGPU of its own (Deno, a future Node) is used as it is.
  const own = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (own) return (loaded = { gpu: own });
  const file = candidates().find(f => fs.existsSync(f));
  if (!file) return (loaded = { reason: `Dawn (the WebGPU implementation) is not shipped for ${process.platform}-${process.arch}` });
  try {
    ensureRuntimeDir();
    const module = { exports: {} as DawnModule };
    process.dlopen(module, file);
    const dawn = module.exports;
    for (const [name, value] of Object.entries(dawn.globals)) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
    const gpu = dawn.create([]);
    g.navigator!.gpu = gpu;
    return (loaded = { gpu });
  } catch (e) {
    return (loaded = { reason: `Dawn failed to load: ${(e as Error).message.split('\n')[0]}` });
  }
}
