/**
 * One backend of the ladder (../backend.ts): how it loads, why it did not, what it reports
 * (which of our kernels it runs, how large a tensor it holds). Each lives in its own file here.
 */
import type { BackendAttempt, BackendName, BackendReport } from '../../shared/backendReport';

export interface LoadContext {
  /** Asked for by name (`--backend`, the setting): use it even where `auto` would pass it over. */
  forced: boolean;
  wasmDir?: string;
  /** Folders holding a node_modules with tfjs-node(-gpu). */
  nativeModuleDirs: string[];
}

export type BackendLoad =
  /** Loaded and made tfjs's active backend. `attempts`: what it says of itself beside "ok" (tfjs-node-gpu without CUDA). */
  | { report: Omit<BackendReport, 'attempts'>; attempts?: BackendAttempt[] }
  /** Not used, and why; `gpu` where an adapter was found but passed over. */
  | { reason: string; gpu?: BackendReport['gpu'] };

export interface TrainingBackend {
  readonly name: BackendName;
  /** Makes this backend tfjs's active one, or says why it cannot; never throws. */
  load(context: LoadContext): Promise<BackendLoad>;
}

/** A load error as one line: "not installed" for a missing package. */
export function describeLoadError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'MODULE_NOT_FOUND') return 'not installed';
  return `failed to load: ${err?.message?.split('\n')[0] ?? String(e)}`;
}
