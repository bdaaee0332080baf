/** #26 (15): messages that name the file and say what to do, where they named nothing. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { attachDashValues, parseOptions } from '../../src/trainer/cli/args';
import { importRun } from '../../src/trainer/export/importRun';
import { loadTokenizer } from '../../src/trainer/tokenizer/loadTokenizer';
import { checkedTokenizerJson } from '../../src/trainer/tokenizer/fastTokenizer';
import { describeFsError } from '../../src/trainer/util/fsErrors';
import { useBackend } from './backendSetup';
import { tempDir } from './helpers';

const root = path.join(__dirname, '..', '..');
const trainer = path.join(root, 'dist', 'trainer.js');
const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');

/** A minimal BERT tokenizer.json over a five-token vocabulary. */
const tokenizerJson = (): Record<string, unknown> => ({
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [],
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: null,
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, hello: 4 },
  },
});

describe('tokenizer.json as Python reads it', () => {
  it('a component it lacks (no "decoder", no "normalizer") is none, as in tokenizers', () => {
    const dir = tempDir();
    const json = tokenizerJson();
    delete json.decoder;
    delete json.post_processor;
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    assert.deepEqual(loadTokenizer(dir).encode('hello', undefined, 8).inputIds, [2, 4, 3]);
  });

  it('a vocabulary that is not a map of ids, or an added token without one, is refused naming the file and the field', () => {
    const file = '/m/tokenizer.json';
    assert.throws(
      () => checkedTokenizerJson({ ...tokenizerJson(), model: { type: 'WordPiece', vocab: ['a', 'b'] } }, file),
      /^Error: \/m\/tokenizer\.json: "model\.vocab" must map each token to its id\. Save the tokenizer again/,
    );
    assert.throws(
      () => checkedTokenizerJson({ ...tokenizerJson(), model: { type: 'WordPiece', vocab: { a: 'x' } } }, file),
      /gives the token "a" the id "x", not a whole number/,
    );
    assert.throws(() => checkedTokenizerJson({ ...tokenizerJson(), added_tokens: [null] }, file), /added_tokens\[0\] must be an object with an "id"/);
    assert.throws(() => checkedTokenizerJson({ ...tokenizerJson(), decoder: 'WordPiece' }, file), /"decoder" must be null or an object with a "type"/);
  });

  it('refuses a pattern that takes exponential time (ReDoS), at once, where Python stops the match', () => {
    const dir = tempDir();
    const evil = { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated', invert: false };
    fs.writeFileSync(
      path.join(dir, 'tokenizer.json'),
      JSON.stringify({ ...tokenizerJson(), pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'BertPreTokenizer' }, evil] } }),
    );
    assert.throws(() => loadTokenizer(dir), /tokenizer\.json: the pattern "\(a\+\)\+\$" of a "Split" in its pre_tokenizer can take exponential time/);
    // GPT-2's and Llama 3's pre-tokenizer patterns are fine
    for (const Regex of [
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
      '[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+',
    ])
      assert.doesNotThrow(() =>
        checkedTokenizerJson({ ...tokenizerJson(), pre_tokenizer: { type: 'Split', pattern: { Regex }, behavior: 'Isolated', invert: false } }, 'f'),
      );
  });

  it("whatever else the library trips over is told with the file's name", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify({ ...tokenizerJson(), post_processor: { type: 'TemplateProcessing' } }));
    assert.throws(
      () => loadTokenizer(dir),
      new RegExp(
        `^Error: ${path.join(dir, 'tokenizer.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be used as a tokenizer \\(.+\\)\\. Save the tokenizer again`,
      ),
    );
  });
});

describe('import-run of a damaged trainer_state.json', () => {
  before(() => useBackend('wasm'));

  it('names the file and the field, and leaves no half-made run', async () => {
    const from = tempDir();
    for (const f of fs.readdirSync(TINY)) fs.copyFileSync(path.join(TINY, f), path.join(from, f));
    fs.writeFileSync(path.join(from, 'trainer_state.json'), JSON.stringify({ log_history: 'not a list', global_step: 3 }));
    const runs = path.join(tempDir(), 'runs');
    await assert.rejects(
      importRun(from, path.join(runs, 'imported')),
      /trainer_state\.json: "log_history" must be a list of log entries.*move it out of the folder to import the model without its curves/,
    );
    assert.ok(!fs.existsSync(runs) || fs.readdirSync(runs).length === 0, 'nothing left behind');
  });
});

describe('the CLI', () => {
  before(() => execFileSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'pipe' }));

  it('inspect --help prints its usage, not "the file no longer exists"', () => {
    const r = spawnSync(process.execPath, [trainer, 'inspect', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^usage: bert-tune inspect FILE/);
    const unknown = spawnSync(process.execPath, [trainer, 'inspect', '--jsn', 'a.csv'], { encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown option --jsn/);
  });

  it('takes a value that starts with a dash (init-checkpoint --labels -1,0,1, as Train from scratch sends it)', () => {
    const out = path.join(tempDir(), 'm');
    const vocab = path.join(root, 'test', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');
    const r = spawnSync(
      process.execPath,
      [
        trainer,
        'init-checkpoint',
        '--layers',
        '1',
        '--hidden',
        '16',
        '--heads',
        '2',
        '--intermediate',
        '32',
        '--vocab',
        vocab,
        '--labels',
        '-1,0,1',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(Object.values(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).id2label), ['-1', '0', '1']);
    const options = { labels: { type: 'string' }, json: { type: 'boolean' } } as const;
    assert.deepEqual(attachDashValues(['--labels', '-1,0', '--json'], options), ['--labels=-1,0', '--json']);
    assert.deepEqual(attachDashValues(['--labels', '--json'], options), ['--labels', '--json'], 'an option is not a value');
    assert.equal(parseOptions(['--labels', '-x'], options, 'usage').labels, '-x');
  });
});

describe('a read-only file system', () => {
  it('is told as such, not as "ENOENT … mkdir"', () => {
    const e = Object.assign(new Error("ENOENT: no such file or directory, mkdir '/ro/a/b'"), { code: 'ENOENT', syscall: 'mkdir', path: '/ro/a/b' });
    assert.match(
      describeFsError(e, '/ro/a/b', () => 'EROFS')!,
      /read-only file system \(writing \/ro\/a\/b\)/,
    );
    assert.match(
      describeFsError(e, '/ro/a/b', () => 'EACCES')!,
      /Permission denied/,
    );
    assert.equal(
      describeFsError(e, '/ro/a/b', () => undefined),
      undefined,
      'a real ENOENT stays one',
    );
  });
});
