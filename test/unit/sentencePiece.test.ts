import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadTokenizer } from '../../src/trainer/tokenizer/loadTokenizer';
import { parseSentencePieceModel } from '../../src/trainer/tokenizer/sentencePiece';
import { tempDir, textsWithOtherIds } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'families');
const DEBERTA = path.join(FIX, 'deberta-v3-tokenizer');

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

  it('refuses a SentencePiece model of another family (XLM-R, CamemBERT), saying how to give the folder a tokenizer.json', () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(DEBERTA, 'spm.model'), path.join(dir, 'spm.model'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'xlm-roberta' }));
    assert.throws(() => loadTokenizer(dir), /no tokenizer\.json or vocab\.txt.*save_pretrained/);
  });
});
