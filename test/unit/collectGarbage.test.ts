import assert from 'node:assert/strict';
import { it } from 'node:test';
import { collectGarbage } from '../../src/trainer/util/collectGarbage';

it('collectGarbage collects what was let go of, without --expose-gc', async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'run without --expose-gc');
  let ref: WeakRef<Float32Array> | undefined;
  (() => {
    ref = new WeakRef(new Float32Array(1 << 20));
  })();
  // A WeakRef's target stays alive until the current job ends.
  await new Promise(resolve => setImmediate(resolve));
  assert.ok(collectGarbage());
  assert.equal(ref!.deref(), undefined, 'still alive after a full collection');
});
