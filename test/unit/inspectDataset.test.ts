import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import type { DatasetInfo } from '../../src/shared/dataset';
import { DatasetReadError, inspectDataset } from '../../src/trainer/data/inspectDataset';
import { loadLabelledData } from '../../src/trainer/data/loadLabelledData';
import { fixture, tempDir, tempFile } from './helpers';

const byName = (info: DatasetInfo, name: string) => {
  const c = info.columns.find(col => col.name === name);
  assert.ok(c, `no column ${name} in ${info.columns.map(x => x.name).join(', ')}`);
  return c;
};

describe('inspectDataset on real data', () => {
  it('SST-2 dev slice: TSV, header, 200 rows, text and label', async () => {
    const info = await inspectDataset(fixture('sst2-dev-200.tsv'));
    assert.equal(info.format, 'csv');
    assert.equal(info.delimiter, '\t');
    assert.equal(info.hasHeader, true);
    assert.equal(info.rows, 200);
    assert.deepEqual(
      info.columns.map(c => [c.name, c.role]),
      [
        ['text', 'text'],
        ['label', 'label'],
      ],
    );
    const counts = Object.fromEntries(byName(info, 'label').valueCounts!);
    assert.equal(counts['0'] + counts['1'], 200);
    assert.deepEqual(info.problems, []);
  });

  it('ChnSentiCorp slice: no header, quoted commas, columns named by position', async () => {
    const info = await inspectDataset(fixture('chnsenticorp-200.csv'));
    assert.equal(info.delimiter, ',');
    assert.equal(info.quoting, true);
    assert.equal(info.hasHeader, false);
    assert.equal(info.rows, 200);
    assert.deepEqual(
      info.columns.map(c => [c.name, c.role]),
      [
        ['column 1', 'label'],
        ['column 2', 'text'],
      ],
    );
    assert.deepEqual(info.problems, []);
  });

  it('MRPC slice: BOM and CRLF, five columns, ids recognised', async () => {
    const info = await inspectDataset(fixture('mrpc-test-100.tsv'));
    assert.equal(info.encoding, 'utf-8-bom');
    assert.equal(info.rows, 100);
    assert.deepEqual(
      info.columns.map(c => c.name),
      ['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'],
    );
    assert.equal(byName(info, 'Quality').role, 'label');
    assert.equal(byName(info, '#1 ID').role, 'id');
    assert.equal(byName(info, '#1 String').role, 'text');
    // CRLF must not leave a \r on the last column's values
    assert.ok(!byName(info, '#2 String').valueCounts?.some(([v]) => v.endsWith('\r')));
    assert.deepEqual(info.problems, []);
  });

  it('emotion slice: semicolons in a .csv, six classes most frequent first', async () => {
    const info = await inspectDataset(fixture('more', 'emotion-val-150.csv'));
    assert.equal(info.delimiter, ';');
    assert.equal(info.rows, 150);
    const label = byName(info, 'label_name');
    assert.equal(label.role, 'label');
    assert.equal(label.distinct, 6);
    const counts = label.valueCounts!.map(([, n]) => n);
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
    );
    assert.equal(
      counts.reduce((a, b) => a + b),
      150,
    );
  });

  it('SMS spam slice: string labels in the first column', async () => {
    const info = await inspectDataset(fixture('more', 'sms-spam-300.tsv'));
    assert.equal(info.rows, 300);
    assert.equal(byName(info, 'Label').role, 'label');
    assert.equal(byName(info, 'SMS').role, 'text');
    assert.deepEqual(
      byName(info, 'Label')
        .valueCounts!.map(([v]) => v)
        .sort(),
      ['ham', 'spam'],
    );
  });
});

describe('inspectDataset on bad input', () => {
  it('an empty file: an error, no throw', async () => {
    const info = await inspectDataset(fixture('bad', 'empty.csv'));
    assert.equal(info.rows, 0);
    assert.match(info.problems[0].message, /empty/);
    assert.equal(info.problems[0].severity, 'error');
  });

  it('a header-only file: its columns, zero rows, an error saying so', async () => {
    const info = await inspectDataset(fixture('bad', 'header-only.csv'));
    assert.equal(info.rows, 0);
    assert.deepEqual(
      info.columns.map(c => c.name),
      ['text', 'label'],
    );
    assert.match(info.problems[0].message, /only a header/i);
  });

  it('a binary file named .csv is refused as binary', async () => {
    const info = await inspectDataset(fixture('bad', 'binary.csv'));
    assert.equal(info.rows, 0);
    assert.match(info.problems[0].message, /binary/);
  });

  it('Latin-1 bytes: read as Latin-1, with a warning to re-save as UTF-8', async () => {
    const info = await inspectDataset(fixture('bad', 'latin1.csv'));
    assert.equal(info.encoding, 'latin1');
    assert.equal(info.rows, 3);
    assert.match(info.problems[0].message, /The file is not valid UTF-8; read as Latin-1/);
    assert.ok(byName(info, 'text').meanLength > 10);
  });

  it('invalid UTF-8 far past the sniffed sample still falls back to Latin-1', async () => {
    const rows = Array.from({ length: 20000 }, (_, i) => `row number ${i},${i % 2}`).join('\n');
    const file = tempFile('late.csv', Buffer.concat([Buffer.from(`text,label\n${rows}\n`), Buffer.from('caf\xe9,1\n', 'latin1')]));
    const info = await inspectDataset(file);
    assert.equal(info.encoding, 'latin1');
    assert.equal(info.rows, 20001);
  });

  it('an unclosed quote: an error naming its line, rows before it counted', async () => {
    const info = await inspectDataset(fixture('bad', 'unclosed-quote.csv'));
    const error = info.problems.find(p => p.severity === 'error');
    assert.ok(error, JSON.stringify(info.problems));
    assert.equal(error.line, 2);
  });

  it('ragged rows: a warning with their count and the first line', async () => {
    const file = tempFile('ragged.csv', 'text,label\ngood,1\nbad,1,extra\nfine,0\nworse\n');
    const info = await inspectDataset(file);
    assert.equal(info.rows, 4);
    const warning = info.problems.find(p => p.severity === 'warning');
    assert.ok(warning);
    assert.match(warning.message, /^2 rows/);
    assert.equal(warning.line, 3);
  });

  it('UTF-16 with a BOM is decoded', async () => {
    const body = Buffer.from('text\tlabel\nhello there\tpos\ngoodbye now\tneg\n', 'utf16le');
    const info = await inspectDataset(tempFile('wide.tsv', Buffer.concat([Buffer.from([0xff, 0xfe]), body])));
    assert.equal(info.encoding, 'utf-16le');
    assert.equal(info.rows, 2);
    assert.deepEqual(
      info.columns.map(c => c.name),
      ['text', 'label'],
    );
  });

  it('blank lines are skipped and line numbers stay exact', async () => {
    const file = tempFile('blank.csv', 'text,label\n\nok,1\n\nbad,1,2\n');
    const info = await inspectDataset(file);
    assert.equal(info.rows, 2);
    assert.equal(info.problems[0].line, 5);
  });

  it('a missing file throws a DatasetReadError that says so', async () => {
    await assert.rejects(inspectDataset(path.join(tempDir(), 'gone.csv')), (e: unknown) => e instanceof DatasetReadError && /no longer exists/.test(e.message));
  });

  it('a file deleted while it is read still gives an answer or a clear error, never a hang', async () => {
    const file = tempFile('vanishing.csv', 'text,label\n' + 'some words here,1\n'.repeat(200000));
    const pending = inspectDataset(file);
    fs.rmSync(file);
    const outcome = await pending.then(
      info => info.rows,
      (e: unknown) => (e instanceof DatasetReadError ? e.message : 'unexpected'),
    );
    assert.ok(outcome === 200000 || /no longer exists/.test(String(outcome)), String(outcome));
  });

  it('an aborted inspection rejects as cancelled', async () => {
    const file = tempFile('big.csv', 'text,label\n' + 'some words here,1\n'.repeat(200000));
    const abort = new AbortController();
    const pending = inspectDataset(file, { signal: abort.signal });
    abort.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof DatasetReadError && e.cancelled);
  });
});

describe('inspectDataset column statistics', () => {
  it('counts distinct long texts exactly without listing them', async () => {
    const long = (i: number) => `${'a long review that keeps going '.repeat(10)}${i}`;
    const rows = Array.from({ length: 30 }, (_, i) => `${long(i % 12)},${i % 3}`).join('\n');
    const info = await inspectDataset(tempFile('long.csv', `text,label\n${rows}\n`));
    const text = byName(info, 'text');
    assert.equal(text.distinct, 12);
    assert.equal(text.distinctCapped, false);
    assert.equal(text.valueCounts, undefined);
    assert.equal(text.role, 'text');
    assert.deepEqual(byName(info, 'label').valueCounts, [
      ['0', 10],
      ['1', 10],
      ['2', 10],
    ]);
  });
});

describe('inspectDataset on JSON Lines', () => {
  it('keys become columns; a bad line is skipped with a warning naming it', async () => {
    const info = await inspectDataset(fixture('more', 'reviews.jsonl'));
    assert.equal(info.format, 'jsonl');
    assert.equal(info.rows, 3);
    assert.deepEqual(
      info.columns.map(c => c.name),
      ['text', 'label'],
    );
    assert.equal(info.problems[0].line, 3);
    assert.match(info.problems[0].message, /not valid JSON/);
  });

  it('numbers and booleans are text; null and objects hold none, as the loader reads them', async () => {
    const file = tempFile('mixed.jsonl', '{"a":1,"b":true,"c":null}\n{"a":2,"b":false,"c":{"x":1}}\n{"a":3,"b":true,"c":"x"}\n');
    const info = await inspectDataset(file);
    assert.equal(info.rows, 3);
    assert.equal(info.columns.find(c => c.name === 'a')!.numeric, true);
    assert.equal(info.columns.find(c => c.name === 'c')!.filled, 1);
    const loaded = await loadLabelledData(file, { textCol: 'c', labelCol: 'b' }).catch((e: Error) => e);
    // One usable row only (line 3), so one class: the loader saw the same single text.
    assert.match(String(loaded), /holds one class only \("true"\)/);
  });
});

describe('the Datasets view and the trainer read a file alike (one reader)', () => {
  it('warns of exactly the rows training skips: a trailing delimiter is no problem, an extra cell is', async () => {
    const file = tempFile('trailing.csv', 'text,label\ngood one,1,\nbad one,0,\nhello, world,1\nfine,0\n');
    const info = await inspectDataset(file);
    const loaded = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.equal(info.rows, 4);
    assert.deepEqual(
      loaded.rows.map(r => r.line),
      [2, 3, 5],
    );
    const mismatch = info.problems.filter(p => /different number of columns/.test(p.message));
    assert.equal(mismatch.length, 1);
    assert.match(mismatch[0].message, /^1 row has .*: line 4\. Training skips it/);
    assert.match(loaded.warnings[0], /skipped 1 row .* \(line 4\)/);
  });

  it('offers no phantom columns for the extra cells of ragged rows', async () => {
    const info = await inspectDataset(tempFile('ragged.csv', 'text,label\na fine film,pos\nhello, world,neg\nfine,pos,x,y\n'));
    assert.deepEqual(
      info.columns.map(c => c.name),
      ['text', 'label'],
    );
    assert.match(info.problems.find(p => /different number of columns/.test(p.message))!.message, /^2 rows have .*: lines 3, 4\./);
  });

  it('lists the rows with no label, which the label balance cannot show, as the rows training skips', async () => {
    const file = tempFile('nolabel.csv', 'text,label\na fine film,pos\na bad film,\ngreat,pos\nawful,neg\n"  ",neg\nmeh,  \n');
    const info = await inspectDataset(file);
    const loaded = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    const label = info.problems.find(p => /no label/.test(p.message));
    assert.ok(label, JSON.stringify(info.problems));
    assert.match(label.message, /^2 rows have no label in "label" \(lines 3, 7\)/);
    assert.equal(label.line, 3);
    assert.match(info.problems.find(p => /no text/.test(p.message))?.message ?? '', /^1 row has no text in "text" \(line 6\)/);
    assert.deepEqual(loaded.findings.find(f => f.kind === 'empty')?.lines, [3, 6, 7]);
  });

  it('the same rows, lines and encoding on a Latin-1 TSV with a multi-line quoted text', async () => {
    const file = tempFile('legacy.tsv', Buffer.from('text\tlabel\ncaf\xe9 cr\xe8me\tpos\n"two\nlines"\tneg\n\nlast\tpos\n', 'latin1'));
    const info = await inspectDataset(file);
    const loaded = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.equal(info.encoding, 'latin1');
    assert.equal(loaded.encoding, 'latin1');
    assert.equal(info.rows, loaded.rows.length);
    assert.deepEqual(
      loaded.rows.map(r => r.line),
      [2, 3, 6],
    );
    assert.equal(loaded.rows[0].text, 'café crème');
    assert.equal(info.problems.find(p => /span/.test(p.message))?.line, 3);
    assert.match(info.problems[0].message, /^The file is not valid UTF-8/);
    assert.match(loaded.warnings[0], /legacy\.tsv is not valid UTF-8/);
  });
});

describe('inspectDataset memory', () => {
  it('streams: inspects a file larger than the heap it may use', async () => {
    // A child process whose old-space limit is far below the file's size: reading the file
    // whole would crash it; streaming finishes.
    const dir = tempDir();
    const entry = path.join(dir, 'inspect.ts');
    fs.writeFileSync(
      entry,
      `import { inspectDataset } from ${JSON.stringify(path.join(__dirname, '../../src/trainer/data/inspectDataset'))};
       inspectDataset(process.argv[2]).then(i => console.log(JSON.stringify({ rows: i.rows, problems: i.problems })));`,
    );
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'inspect.js'), logLevel: 'silent' });
    const file = path.join(dir, 'large.csv');
    const line = 'a fairly ordinary sentence of text that goes on for a while,1\n';
    const block = line.repeat(10000);
    const blocks = Math.ceil((96 * 1024 * 1024) / block.length);
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, 'text,label\n');
    for (let i = 0; i < blocks; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const r = spawnSync(process.execPath, ['--max-old-space-size=32', path.join(dir, 'inspect.js'), file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr.slice(-500));
    assert.deepEqual(JSON.parse(r.stdout), { rows: blocks * 10000, problems: [] });
  });
});
