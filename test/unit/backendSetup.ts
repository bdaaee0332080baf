/** Tests run on the WASM backend (what users get without tfjs-node), loaded from node_modules. */
import * as path from 'node:path';
import { selectBackend, type BackendName } from '../../src/trainer/backend';

export const WASM_DIR = path.join(__dirname, '..', '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');

export async function useBackend(prefer: BackendName = 'wasm'): Promise<string> {
  const report = await selectBackend({ prefer, wasmDir: WASM_DIR });
  return report.backend;
}
