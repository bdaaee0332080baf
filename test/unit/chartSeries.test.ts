/** #17.14 and #15.6: the metrics panel's curve arithmetic, one EMA for the live and the redrawn curve, whole-step ticks, legends off hover. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ema, format, lastValue, smooth, STEP_INCREMENTS } from '../../webview-ui/src/metrics/series';

describe('the curves of the metrics panel', () => {
  it('smooths as TensorBoard does (debiased), point by point and for a whole series alike', () => {
    const values = [1, 0.5, null, 0.25, Number.NaN, 0.125];
    const ema = new Ema(0.6);
    const live = values.map(v => ema.next(v));
    assert.deepEqual(smooth(values, 0.6), live);
    // Debiased: the first point is the value itself, not 0.4 of it.
    assert.equal(live[0], 1);
    assert.ok(Math.abs(live[1]! - (0.6 * 0.4 + 0.4 * 0.5) / (1 - 0.36)) < 1e-12);
    assert.equal(live[2], null);
    assert.equal(live[4], null);
    assert.deepEqual(smooth([3, 4], 0), [3, 4]);
  });

  it('ticks steps at whole numbers only, in 1-2-5 steps', () => {
    assert.ok(STEP_INCREMENTS.every(Number.isInteger));
    assert.deepEqual(STEP_INCREMENTS.slice(0, 7), [1, 2, 5, 10, 20, 50, 100]);
    assert.ok(STEP_INCREMENTS.every((v, i) => i === 0 || v > STEP_INCREMENTS[i - 1]));
  });

  it("shows a series' latest value in its legend off hover, never '--'", () => {
    assert.equal(lastValue([0.9, null, 0.7, null]), 0.7);
    assert.equal(lastValue([null, null]), null);
    assert.equal(format(lastValue([0.912345])), '0.9123');
    assert.equal(format(1234.5), '1235');
    assert.equal(format(0.00005, true), '5.00e-5');
    assert.equal(format(null), '–');
  });
});
