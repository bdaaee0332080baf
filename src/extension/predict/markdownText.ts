/**
 * Text from a model (its labels) shown inside Markdown that VS Code renders: every ASCII
 * punctuation character is backslash-escaped (CommonMark lets any of them be, GFM tables read `\|`),
 * and line breaks and other control characters become spaces, so a label can neither format,
 * link nor end the table row it sits in. Free of `vscode`.
 */
export function markdownTableCell(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this replaces
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ').replace(/[!-/:-@[-`{-~]/g, c => `\\${c}`);
}
