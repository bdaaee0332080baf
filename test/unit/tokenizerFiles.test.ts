import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { loadTokenizer } from '../../src/trainer/tokenizer/loadTokenizer';
import { parseMerges } from '../../src/trainer/tokenizer/bpeFiles';
import { tempDir, textsWithOtherIds } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'families');

/** A RoBERTa folder as older fine-tunes ship it: vocab.json and merges.txt (written from transformers' tokenizer.json), no tokenizer.json. */
function bpeFolder(): string {
  const dir = tempDir();
  const json = JSON.parse(fs.readFileSync(path.join(FIX, 'tiny-roberta', 'tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number>; merges: string[][] };
  };
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(json.model.vocab));
  fs.writeFileSync(path.join(dir, 'merges.txt'), '#version: 0.2\n' + json.model.merges.map(m => m.join(' ')).join('\n') + '\n');
  fs.copyFileSync(path.join(FIX, 'tiny-roberta', 'config.json'), path.join(dir, 'config.json'));
  return dir;
}

describe('a RoBERTa folder with vocab.json and merges.txt, no tokenizer.json', () => {
  it("gives the ids of transformers' tokenizer.json of the same vocabulary and merges, on all 2,780 texts and pairs", () => {
    const fromFiles = loadTokenizer(bpeFolder());
    const fromJson = loadTokenizer(path.join(FIX, 'tiny-roberta'));
    assert.equal(fromFiles.source, 'vocab.json');
    assert.equal(fromFiles.padId, fromJson.padId);
    assert.deepEqual(textsWithOtherIds(fromFiles, fromJson), []);
  });

  it('names the line of merges.txt that is not a pair', () => {
    assert.throws(() => parseMerges('#version: 0.2\na b\nc d e\n', '/m/merges.txt'), /\/m\/merges\.txt, line 3: a merge is two tokens separated by one space/);
    assert.deepEqual(parseMerges('a b\r\nc d\r\n', 'm'), [
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});
