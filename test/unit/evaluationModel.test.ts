import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridMove, rowShares, rowsOfCell } from '../../webview-ui/src/shared/evaluationModel';

describe("an evaluation's details, apart from their rendering", () => {
  it("colours the matrix by each true label's share, so a small class's diagonal reads as strongly as a large one's", () => {
    assert.deepEqual(
      rowShares([
        [90, 10],
        [1, 3],
        [0, 0],
      ]),
      [
        [0.9, 0.1],
        [0.25, 0.75],
        [0, 0],
      ],
    );
  });

  it('lists the rows behind a cell, in the order reported', () => {
    const rows = [
      { line: 4, truth: 'a', predicted: 'b' },
      { line: 2, truth: 'b', predicted: 'a' },
      { line: 9, truth: 'a', predicted: 'b' },
    ];
    assert.deepEqual(
      rowsOfCell(rows, 'a', 'b').map(r => r.line),
      [4, 9],
    );
    assert.deepEqual(rowsOfCell(rows, 'a', 'a'), []);
  });

  it('moves with the arrow keys, Home and End, and stays at the edges', () => {
    const lengths = [3, 3, 3];
    assert.deepEqual(gridMove(lengths, 1, 1, 'ArrowLeft'), [1, 0]);
    assert.deepEqual(gridMove(lengths, 1, 1, 'ArrowDown'), [2, 1]);
    assert.deepEqual(gridMove(lengths, 1, 1, 'End'), [1, 2]);
    assert.deepEqual(gridMove(lengths, 1, 2, 'Home'), [1, 0]);
    assert.equal(gridMove(lengths, 0, 0, 'ArrowUp'), undefined);
    assert.equal(gridMove(lengths, 2, 2, 'ArrowRight'), undefined);
    assert.equal(gridMove(lengths, 1, 1, 'Tab'), undefined);
  });
});
