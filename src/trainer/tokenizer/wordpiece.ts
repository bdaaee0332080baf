/** WordPiece: greedy longest-match-first over a vocabulary, continuation pieces prefixed "##". */

/** Words longer than this (in code points) become one unknown token, as in transformers. */
export const MAX_INPUT_CHARS_PER_WORD = 100;

export function wordpiece(word: string, vocab: ReadonlyMap<string, number>, unkToken: string): string[] {
  const chars = Array.from(word);
  if (chars.length > MAX_INPUT_CHARS_PER_WORD) return [unkToken];
  const pieces: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let end = chars.length;
    let found: string | undefined;
    while (start < end) {
      let piece = chars.slice(start, end).join('');
      if (start > 0) piece = `##${piece}`;
      if (vocab.has(piece)) {
        found = piece;
        break;
      }
      end--;
    }
    if (found === undefined) return [unkToken];
    pieces.push(found);
    start = end;
  }
  return pieces;
}
