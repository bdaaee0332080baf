import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rowLengths, shareRows } from '../../src/trainer/parallel/shareRows';
import { Random } from '../../src/trainer/util/random';

const cost = (lengths: number[], rows: number[], hidden: number) =>
  rows.length ? rows.length * Math.max(...rows.map(r => lengths[r] + (lengths[r] * lengths[r]) / (3 * hidden))) : 0;

describe('sharing a batch among gradient workers', () => {
  it('gives every row to exactly one worker, and never a slower largest share than halving the batch', () => {
    const random = new Random(3);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random.next() * 40);
      const workers = 1 + Math.floor(random.next() * 4);
      const lengths = Array.from({ length: n }, () => 2 + Math.floor(random.next() ** 3 * 126));
      const shares = shareRows(lengths, workers, 128);
      assert.equal(shares.length, workers);
      assert.deepEqual(
        shares.flat().sort((a, b) => a - b),
        lengths.map((_, i) => i),
      );
      const even = Array.from({ length: workers }, (_, k) =>
        lengths.map((_, i) => i).slice(Math.floor((n * k) / workers), Math.floor((n * (k + 1)) / workers)),
      );
      const worst = (s: number[][]) => Math.max(...s.map(rows => cost(lengths, rows, 128)));
      assert.ok(worst(shares) <= worst(even) + 1e-9, `trial ${trial}: ${worst(shares)} > ${worst(even)}`);
    }
  });

  it('puts short rows together in larger groups than long ones', () => {
    const lengths = [10, 50, 12, 30, 9, 11, 55, 20, 14, 13, 12, 40, 8, 9, 22, 18];
    const [long, short] = shareRows(lengths, 2, 128);
    assert.deepEqual(long, [1, 3, 6, 11]);
    assert.equal(short.length, 12);
  });

  it('splits equal rows evenly, and leaves workers idle when rows run out', () => {
    assert.deepEqual(
      shareRows(Array(16).fill(128), 2, 128).map(s => s.length),
      [8, 8],
    );
    assert.deepEqual(shareRows([5, 6], 3, 128), [[1], [0], []]);
    assert.deepEqual(shareRows([], 2, 128), [[], []]);
    assert.deepEqual(
      rowLengths([
        [1, 1, 0],
        [1, 0, 0],
      ]),
      [2, 1],
    );
  });
});
