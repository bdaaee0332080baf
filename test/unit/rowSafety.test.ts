/**
 * #18: no row is lost or made up silently. Ragged rows are skipped with their lines named, a
 * stray quote that swallows rows is pointed at, and "Predict a CSV column" keeps every row.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { initCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { inspectDataset } from '../../src/trainer/data/inspectDataset';
import { loadLabelledData } from '../../src/trainer/data/loadLabelledData';
import { isRagged } from '../../src/trainer/data/records';
import { parseModelConfig } from '../../src/trainer/model/config';
import { NOTE_COLUMN, predictFile } from '../../src/trainer/predict/predictFile';
import { Predictor } from '../../src/trainer/predict/predictor';
import { useBackend } from './backendSetup';
import { tempDir, tinyCheckpoint } from './helpers';

const VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

function write(name: string, text: string): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, text);
  return file;
}

describe('ragged rows', () => {
  it('a row whose cells do not line up is never a cell of another column: skipped, counted and named by line', async () => {
    // An unquoted comma splits "hello, world" into two cells: its "label" would be " world".
    const file = write('ragged.csv', 'text,label\ngood film,pos\nhello, world,pos\nbad film,neg\nsad, slow, long,neg\nfine,pos\nshort\n');
    const data = await loadLabelledData(file, { textCol: 'text', labelCol: 'label' });
    assert.deepEqual(data.labels, ['neg', 'pos']);
    assert.deepEqual(
      data.rows.map(r => r.line),
      [2, 4, 6],
    );
    assert.equal(data.skipped.count, 3);
    assert.deepEqual(data.skipped.lines, [3, 5, 7]);
    assert.match(
      data.warnings.join('\n'),
      /ragged\.csv: skipped 3 rows whose cells do not line up with the header's 2 columns \(lines 3, 5, 7\).*Quote such texts/,
    );
  });

  it('a trailing delimiter on a row is not ragged; missing or non-empty extra cells are', () => {
    assert.equal(isRagged(['a', 'b', ''], 2), false);
    assert.equal(isRagged(['a', 'b', ' x'], 2), true);
    assert.equal(isRagged(['a'], 2), true);
  });

  it('says why when every row is ragged, instead of "no rows"', async () => {
    const file = write('all.csv', 'text,label\na,b,c\nd,e,f\n');
    await assert.rejects(
      loadLabelledData(file, { textCol: 'text', labelCol: 'label' }),
      /no rows left to train on.*2 rows do not have the header's 2 columns \(lines 2, 3\)/,
    );
  });
});

describe('a stray quote', () => {
  const text = 'text,label\ngood,pos\n"unclosed start,neg\nnext row,pos\nthird,neg\n"quoted",pos\nlast,neg\n';
  it('training warns of the rows read as one, naming their lines', async () => {
    const data = await loadLabelledData(write('quote.csv', text), { textCol: 'text', labelCol: 'label' });
    assert.match(data.warnings.join('\n'), /1 row spans several lines \(the first: lines 3–6; line 3\).*stray "/);
  });

  it('the Datasets view says so too', async () => {
    const info = await inspectDataset(write('quote.csv', text));
    const p = info.problems.find(x => /spans several lines/.test(x.message));
    assert.ok(p, JSON.stringify(info.problems));
    assert.equal(p.line, 3);
    assert.match(p.message, /lines 3–6/);
  });
});

describe('Predict a CSV column', () => {
  let model: string;
  before(async () => {
    await useBackend('wasm');
    model = await tinyCheckpoint(path.join(tempDir(), 'model'), { 0: 'neg', 1: 'pos' });
  });

  it('keeps every row, in order, with an empty prediction and a note where it cannot predict', async () => {
    const file = write('in.csv', 'id,text\n1,a fine day\n2,\n3,one, two\n4,another day\n5,   \n');
    const out = path.join(path.dirname(file), 'out.csv');
    const predictor = new Predictor();
    try {
      const r = await predictFile(predictor, { model, file, textCol: 'text', out, probabilities: true });
      assert.equal(r.rows, 5);
      assert.equal(r.skipped, 3);
      const rows = parse(fs.readFileSync(out, 'utf8')) as string[][];
      assert.deepEqual(rows[0], ['id', 'text', 'predicted_label', 'confidence', 'p_neg', 'p_pos', NOTE_COLUMN]);
      assert.deepEqual(
        rows.slice(1).map(x => x[0]),
        ['1', '2', '3', '4', '5'],
        'one output row per input row, in order',
      );
      for (const x of rows) assert.equal(x.length, 7);
      const byId = new Map(rows.slice(1).map(x => [x[0], x]));
      for (const id of ['1', '4']) {
        assert.match(byId.get(id)![2], /^(neg|pos)$/);
        assert.equal(byId.get(id)![6], '');
      }
      assert.deepEqual(byId.get('2')!.slice(2), ['', '', '', '', 'not predicted: the text is empty']);
      assert.deepEqual(byId.get('3')!.slice(0, 3), ['3', 'one', '']);
      assert.equal(byId.get('3')![6], 'not predicted: 3 cells where the header has 2');
      assert.equal(byId.get('5')![6], 'not predicted: the text is empty');
      assert.match(r.warnings.join('\n'), /\(line 4\)/);
      assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ['in.csv', 'out.csv'], 'no temporary file left');
    } finally {
      predictor.dispose();
    }
  });

  it("escapes formulas, from the data and from the model's label names (CSV injection)", async () => {
    const hostile = await tinyCheckpoint(path.join(tempDir(), 'hostile'), { 0: '=HYPERLINK("http://evil","click")', 1: '@SUM(1)' });
    const file = write('in.csv', 'id,text\n=1+2,"=HYPERLINK(""http://evil"")"\n-5,+cmd|calc\n@x,\tpadded\n3,plain\n');
    const out = path.join(path.dirname(file), 'out.csv');
    const predictor = new Predictor();
    try {
      await predictFile(predictor, { model: hostile, file, textCol: 'text', out, probabilities: true });
    } finally {
      predictor.dispose();
    }
    const rows = parse(fs.readFileSync(out, 'utf8')) as string[][];
    for (const cell of rows.flat()) assert.ok(!/^[=+\-@\t\r]/.test(cell), `${JSON.stringify(cell)} would run as a formula`);
    assert.deepEqual(rows[1].slice(0, 2), ["'=1+2", `'=HYPERLINK("http://evil")`]);
    assert.deepEqual(rows[2].slice(0, 2), ["'-5", "'+cmd|calc"]);
    assert.deepEqual(rows[3].slice(0, 2), ["'@x", "'\tpadded"]);
    assert.deepEqual(rows[4].slice(0, 2), ['3', 'plain']);
    for (const r of rows.slice(1)) assert.match(r[2], /^'(=HYPERLINK|@SUM)/);
  });

  it('does not follow a link planted under its temporary file name', async () => {
    const file = write('in.csv', 'text\nhello\n');
    const out = path.join(path.dirname(file), 'out.csv');
    const victim = write('victim.txt', 'precious\n');
    fs.symlinkSync(victim, path.join(path.dirname(file), `.out.csv.tmp-${process.pid}`));
    const predictor = new Predictor();
    try {
      await predictFile(predictor, { model, file, textCol: 'text', out, probabilities: false });
    } finally {
      predictor.dispose();
    }
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal((parse(fs.readFileSync(out, 'utf8')) as string[][]).length, 2);
  });
});

describe('files that are not data files', () => {
  it('a folder as --data, or a FIFO named .csv, is refused at once with what to give instead', async () => {
    const dir = tempDir();
    await assert.rejects(loadLabelledData(dir, { textCol: 'text', labelCol: 'label' }), /is a folder, not a data file: give a CSV, TSV or JSONL file/);
    const fifo = path.join(dir, 'pipe.csv');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO blocks until a writer comes: neither reader may open it.
    await assert.rejects(loadLabelledData(fifo, { textCol: 'text', labelCol: 'label' }), /is not a regular file \(a pipe, socket or device\)/);
    await assert.rejects(inspectDataset(fifo), /is not a regular file/);
  });

  it('Predict a CSV column on a Latin-1 file reads it as Latin-1 and says so, instead of failing midway', async () => {
    const dir = tempDir();
    const model = path.join(dir, 'model');
    await initCheckpoint(
      parseModelConfig({
        model_type: 'bert',
        vocab_size: 30522,
        num_hidden_layers: 1,
        hidden_size: 16,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 64,
      }),
      VOCAB,
      model,
      1,
    );
    const file = path.join(dir, 'latin1.csv');
    // the invalid byte far from the head, where the head's sniffing cannot see it
    fs.writeFileSync(file, Buffer.concat([Buffer.from('text\n' + 'plain row\n'.repeat(20000)), Buffer.from('caf\xe9 cr\xe8me\n', 'latin1')]));
    const predictor = new Predictor();
    try {
      const r = await predictFile(predictor, { model, file, textCol: 'text', out: path.join(dir, 'out.csv'), probabilities: false });
      assert.equal(r.rows, 20001);
      assert.match(r.warnings[0], /latin1\.csv is not valid UTF-8; read as Latin-1/);
      assert.match(fs.readFileSync(path.join(dir, 'out.csv'), 'utf8'), /café crème/);
    } finally {
      predictor.dispose();
    }
  });
});
