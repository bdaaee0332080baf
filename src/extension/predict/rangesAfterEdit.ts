/**
 * Where predictions shown in a document go when it is edited: a prediction whose text the edit
 * touches is dropped (its label would describe other text); the others stay, moved by the lines
 * the edit adds or removes above them. Free of `vscode` (plain line/character pairs), so it is
 * unit-tested (test/unit/rangesAfterEdit.test.ts).
 */
export interface Pos {
  line: number;
  character: number;
}
export interface Span {
  start: Pos;
  end: Pos;
}
export interface Edit {
  /** The replaced span, in the document before the edit. */
  range: Span;
  text: string;
}

const before = (a: Pos, b: Pos) => a.line < b.line || (a.line === b.line && a.character < b.character);

/**
 * The spans after `edits` (one change event's: each relative to the document before it, none
 * overlapping), or undefined for a span that is dropped. A span on the line where an edit ends
 * (after it on that line) is dropped too rather than shifted by characters: a line being typed
 * in is a line whose prediction is stale.
 */
export function spansAfterEdits<T extends Span>(spans: readonly T[], edits: readonly Edit[]): (Span | undefined)[] {
  return spans.map(span => {
    let lineShift = 0;
    for (const edit of edits) {
      if (before(span.end, edit.range.start)) continue; // wholly above or to the left: unmoved
      if (edit.range.end.line < span.start.line) {
        lineShift += edit.text.split('\n').length - 1 - (edit.range.end.line - edit.range.start.line);
        continue;
      }
      return undefined; // the edit touches it, or its line
    }
    return {
      start: { line: span.start.line + lineShift, character: span.start.character },
      end: { line: span.end.line + lineShift, character: span.end.character },
    };
  });
}
