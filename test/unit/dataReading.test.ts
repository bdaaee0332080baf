/** #26 (10, 14): data read as it is written, with no word lost: line endings, long lines. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { inspectDataset } from '../../src/trainer/data/inspectDataset';
import { loadLabelledData } from '../../src/trainer/data/loadLabelledData';
import { lines } from '../../src/trainer/data/textFile';
import { tempDir } from './helpers';

function write(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

async function collect(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines((async function* () {
    yield* chunks;
  })()))
    out.push(l);
  return out;
}

describe('line endings', () => {
  it('reads 300 rows whose lines end in \\n, \\r\\n and \\r mixed as 300 rows, with their lines', async () => {
    const endings = ['\n', '\r\n', '\r'];
    const body = Array.from({ length: 300 }, (_, i) => `text number ${i},${['pos', 'neg', 'neu'][i % 3]}${endings[Math.floor(i / 7) % 3]}`).join('');
    const file = write('mixed.csv', `text,label\n${body}`);
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.equal(data.rows.length, 300);
    assert.deepEqual(data.labels, ['neg', 'neu', 'pos']);
    assert.equal(data.rows[299].text, 'text number 299');
    assert.equal(data.rows[299].line, 301);
    const info = await inspectDataset(file);
    assert.equal(info.rows, 300);
    assert.equal(info.columns.find(c => c.name === 'label')!.distinct, 3);
  });

  it('JSON Lines too, and a CRLF split between two chunks is one ending', async () => {
    assert.deepEqual(await collect(['a\r', '\nb\rc\n', 'd\r\n\r\ne']), ['a', 'b', 'c', 'd', '', 'e']);
    const file = write('mixed.jsonl', '{"text":"a","label":"x"}\r{"text":"b","label":"y"}\n{"text":"c","label":"x"}\r\n');
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.deepEqual(
      data.rows.map(r => [r.text, r.line]),
      [
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ],
    );
  });

  it('a line longer than many chunks comes whole (kept as pieces until its end: joining the rest to each chunk was quadratic)', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    const got = await collect([...Array.from({ length: 1600 }, () => chunk), 'y\nnext']);
    assert.equal(got.length, 2);
    assert.equal(got[0].length, 1600 * chunk.length + 1);
    assert.ok(got[0].endsWith('xy'));
  });
});
