/**
 * Dawn's Node bindings (`dawn.node`, from the npm package `webgpu`): the WebGPU implementation
 * the webgpu backend runs on, which drives the GPU through Vulkan (Linux, Windows), Metal (macOS)
 * or D3D12 (Windows) with no CUDA toolkit. Loaded by hand rather than through the package's
 * ES module, so that the bundled trainer finds the one binary esbuild.mjs copied beside it.
 * Node has no `navigator`: the WebGPU globals (GPUBufferUsage…) and `navigator.gpu` are
 * installed here, before tfjs-backend-webgpu needs them.
 */
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

/** navigator.gpu from Dawn, or why there is none (not shipped for this platform, failed to load). */
export function loadDawn(): { gpu: GPU } | { reason: string } {
  if (loaded) return loaded;
  // A runtime with a WebGPU of its own (Deno, a future Node) is used as it is.
  const own = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (own) return (loaded = { gpu: own });
  const file = candidates().find(f => fs.existsSync(f));
  if (!file) return (loaded = { reason: `Dawn (the WebGPU implementation) is not shipped for ${process.platform}-${process.arch}` });
  try {
    // Vulkan's loader complains on stderr without a runtime folder; any private folder does.
    if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) {
      process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-xdg-'));
    }
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
