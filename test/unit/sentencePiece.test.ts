import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadTokenizer } from '../../src/trainer/tokenizer/loadTokenizer';
import { parseSentencePieceModel, xlmRobertaTokenizerJson } from '../../src/trainer/tokenizer/sentencePiece';
import { tempDir, textsWithOtherIds } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'families');
const DEBERTA = path.join(FIX, 'deberta-v3-tokenizer');
const XLMR = path.join(FIX, 'xlmr-tokenizer');

describe('a DeBERTa folder with spm.model and no tokenizer.json (as microsoft/deberta-v3-* ship)', () => {
  it('gives the ids of the tokenizer.json transformers 5 made of the same spm.model, on all 2,780 texts and pairs', () => {
    const dir = tempDir();
    for (const f of ['spm.model', 'tokenizer_config.json']) fs.copyFileSync(path.join(DEBERTA, f), path.join(dir, f));
    const fromSpm = loadTokenizer(dir);
    const fromJson = loadTokenizer(DEBERTA);
    assert.equal(fromSpm.source, 'spm.model');
    assert.equal(fromJson.source, 'tokenizer.json');
    assert.equal(fromSpm.maxId, fromJson.maxId);
    assert.equal(fromSpm.padId, fromJson.padId);
    assert.deepEqual(textsWithOtherIds(fromSpm, fromJson), []);
  });

  it('reads the pieces, scores and types of the protobuf', () => {
    const model = parseSentencePieceModel(fs.readFileSync(path.join(DEBERTA, 'spm.model')), 'spm.model');
    assert.deepEqual(
      model.pieces.slice(0, 4).map(p => p.piece),
      ['[PAD]', '[CLS]', '[SEP]', '[UNK]'],
    );
    assert.equal(model.pieces[3].type, 2, 'the unknown piece');
    assert.equal(model.unkId, 3);
    assert.ok(model.pieces.slice(5).every(p => p.score < 0));
  });

  it('refuses bytes that are not a SentencePiece model, naming the file', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'spm.model'), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'deberta-v2' }));
    assert.throws(() => loadTokenizer(dir), new RegExp(`${dir.replace(/[/\\]/g, '.')}.spm\\.model: not a SentencePiece model`));
  });

  it('refuses a SentencePiece model of another family (CamemBERT), saying how to give the folder a tokenizer.json', () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(XLMR, 'sentencepiece.bpe.model'), path.join(dir, 'sentencepiece.bpe.model'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'camembert' }));
    assert.throws(() => loadTokenizer(dir), /no tokenizer\.json or vocab\.txt.*save_pretrained/);
  });
});

describe('an XLM-R folder with sentencepiece.bpe.model and no tokenizer.json (as older XLM-R repositories ship)', () => {
  it('makes the tokenizer.json transformers 5 made of the same file, to the byte, and gives its ids on all 2,780 texts and pairs', () => {
    const model = parseSentencePieceModel(fs.readFileSync(path.join(XLMR, 'sentencepiece.bpe.model')), 'sentencepiece.bpe.model');
    assert.ok(model.precompiledCharsmap?.length, "the file's compiled normalizer");
    const ours = xlmRobertaTokenizerJson(model, { addPrefixSpace: true, special: { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '<unk>', mask: '<mask>' } });
    assert.deepEqual(ours, JSON.parse(fs.readFileSync(path.join(XLMR, 'tokenizer.json'), 'utf8')));
    const dir = tempDir();
    for (const f of ['sentencepiece.bpe.model', 'tokenizer_config.json']) fs.copyFileSync(path.join(XLMR, f), path.join(dir, f));
    const fromSpm = loadTokenizer(dir);
    assert.equal(fromSpm.source, 'sentencepiece.bpe.model');
    assert.deepEqual(textsWithOtherIds(fromSpm, loadTokenizer(XLMR)), []);
  });
});
