import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spansAfterEdits, type Span } from '../../src/extension/predict/rangesAfterEdit';

const line = (l: number, from = 0, to = 10): Span => ({ start: { line: l, character: from }, end: { line: l, character: to } });
const at = (l: number, c: number, text: string, toLine = l, toChar = c) => ({
  range: { start: { line: l, character: c }, end: { line: toLine, character: toChar } },
  text,
});

describe('predictions when the document is edited', () => {
  it('keeps the predictions of lines the edit does not touch, and drops the edited one', () => {
    const shown = [line(0), line(2), line(5)];
    assert.deepEqual(spansAfterEdits(shown, [at(2, 3, 'x')]), [line(0), undefined, line(5)]);
  });

  it('moves the predictions below an edit that adds or removes lines', () => {
    const shown = [line(0), line(5)];
    assert.deepEqual(spansAfterEdits(shown, [at(2, 0, 'new\nlines\n')]), [line(0), line(7)]);
    assert.deepEqual(spansAfterEdits(shown, [at(1, 0, '', 3, 0)]), [line(0), line(3)]);
  });

  it('drops a prediction whose text an edit spans or joins, and applies every change of a multi-cursor edit', () => {
    assert.deepEqual(spansAfterEdits([line(3)], [at(2, 0, '', 4, 0)]), [undefined]);
    assert.deepEqual(spansAfterEdits([line(3, 4, 8)], [at(3, 8, '!')]), [undefined], 'typing right after the text');
    assert.deepEqual(spansAfterEdits([line(1), line(4), line(8)], [at(0, 0, '\n'), at(6, 0, '\n\n')]), [line(2), line(5), line(11)]);
  });
});
