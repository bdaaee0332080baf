import assert from 'node:assert/strict';
import { it } from 'node:test';
import { collectGarbage } from '../../src/trainer/util/collectGarbage';

it('collectGarbage gives back memory let go of, without --expose-gc', () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'run without --expose-gc');
  let big: Float32Array | undefined = new Float32Array(64 * 2 ** 20).fill(1); // 256 MiB, touched
  const held = process.memoryUsage().rss;
  big = undefined;
  assert.equal(big, undefined);
  assert.ok(collectGarbage());
  const after = process.memoryUsage().rss;
  assert.ok(held - after > 200 * 2 ** 20, `resident memory went from ${held >> 20} to ${after >> 20} MiB`);
});
