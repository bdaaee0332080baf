/**
 * A full garbage collection now, where the runtime allows one: for memory the trainer has just
 * let go of in bulk (the main thread's copy of the weights, once gradient workers hold them),
 * which V8 would otherwise keep resident until some later collection, often after the run's
 * peak. Without --expose-gc the flag is set at run time; where that is refused, nothing happens.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let gc: (() => void) | undefined | null;

export function collectGarbage(): boolean {
  if (gc === undefined) {
    gc = (globalThis as { gc?: () => void }).gc ?? null;
    if (!gc) {
      try {
        v8.setFlagsFromString('--expose-gc');
        gc = vm.runInNewContext('gc') as () => void;
      } catch {
        gc = null;
      }
    }
  }
  if (!gc) return false;
  gc();
  return true;
}
