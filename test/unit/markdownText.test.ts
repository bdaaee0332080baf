import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MarkdownIt from 'markdown-it';
import { markdownTableCell } from '../../src/extension/predict/markdownText';

/** The hover's table as VS Code builds it, rendered by a CommonMark + GFM-tables renderer. */
function renderRow(label: string): string {
  return new MarkdownIt({ html: true, linkify: true }).render(`| label | probability |\n|---|---:|\n| ${markdownTableCell(label)} | 50.0% |\n`);
}

describe("the prediction hover's label cell", () => {
  const hostile = [
    'a\n| injected | row |',
    '[click](command:workbench.action.terminal.new)',
    '<img src=x onerror=alert(1)>',
    '# heading',
    '(1) *bold* _it_ `code` ~~del~~ !not',
    'line\r\nbreak\u2028sep',
    'a & b &amp; c',
    'https://example.invalid/x',
  ];
  for (const label of hostile) {
    it(`shows ${JSON.stringify(label)} as text in one cell of one row`, () => {
      const html = renderRow(label);
      assert.equal((html.match(/<tr>/g) ?? []).length, 2, html); // the header and our row
      assert.doesNotMatch(html, /<(img|a|h1|em|strong|code|s|del)\b/, html);
      const cell = /<tr>\s*<td>([\s\S]*?)<\/td>/.exec(html.split('<tbody>')[1])?.[1] ?? '';
      const shown = cell
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&');
      assert.equal(shown, label.replace(/[\r\n\u2028]+/g, ' '));
    });
  }
});
