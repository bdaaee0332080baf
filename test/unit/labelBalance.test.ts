import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeImbalance } from '../../src/shared/labelBalance';

describe('the imbalance warning', () => {
  it('names the smallest and largest class and says what to change', () => {
    const message = describeImbalance(
      [
        ['ham', 260],
        ['spam', 40],
      ],
      'none',
      'accuracy',
    );
    assert.match(message ?? '', /imbalanced: "spam" has 40 rows \(13%\), "ham" 260 \(87%\)\. Consider class weights "balanced".*and macro-F1/);
  });

  it('says nothing of even labels, and leaves out advice already followed', () => {
    assert.equal(
      describeImbalance(
        [
          ['0', 90],
          ['1', 110],
        ],
        'none',
        'accuracy',
      ),
      undefined,
    );
    assert.equal(describeImbalance([['a', 5]], 'none', 'accuracy'), undefined);
    const weighted =
      describeImbalance(
        [
          ['a', 100],
          ['b', 3],
        ],
        'balanced',
        'accuracy',
      ) ?? '';
    assert.doesNotMatch(weighted, /class weights/);
    assert.match(weighted, /macro-F1/);
    assert.doesNotMatch(
      describeImbalance(
        [
          ['a', 100],
          ['b', 3],
        ],
        'balanced',
        'macro_f1',
      ) ?? '',
      /Consider/,
    );
  });
});
