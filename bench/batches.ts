/** The batches the training benchmarks measure: SST-2's sentences as they come (read from ../shared/data), or fixed-length rows. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseVocab, BertTokenizer, DEFAULT_SPECIAL_TOKENS } from '../src/trainer/tokenizer/bertTokenizer';
import { padBatch } from '../src/trainer/train/batches';
import type { Batch } from '../src/trainer/step/batch';

const SHARED = path.join(__dirname, '..', '..', 'shared', 'data');

/** `count` batches of `size` SST-2 training sentences, each padded to its longest. */
export function sst2Batches(count: number, size: number): Batch[] {
  const vocab = parseVocab(fs.readFileSync(path.join(SHARED, 'vocab', 'bert-base-uncased-vocab.txt'), 'utf8'));
  const tok = new BertTokenizer(vocab, {
    lowerCase: true,
    stripAccents: undefined,
    tokenizeChineseChars: true,
    special: DEFAULT_SPECIAL_TOKENS,
    modelMaxLength: 512,
  });
  const rows = fs
    .readFileSync(path.join(SHARED, 'sst2', 'train.tsv'), 'utf8')
    .split('\n')
    .slice(1, 1 + count * size)
    .map(l => l.split('\t'));
  const examples = rows.map((r, i) => ({ ...tok.encode(r[0], undefined, 128), label: Number(r[1]), line: i + 2 }));
  const batches: Batch[] = [];
  for (let i = 0; i < examples.length; i += size) batches.push(padBatch(examples.slice(i, i + size), 0));
  return batches;
}

/** `count` batches of `size` rows of exactly `tokens` tokens. */
export function fixedBatches(count: number, tokens: number, size: number): Batch[] {
  return Array.from({ length: count }, (_, b) =>
    padBatch(
      Array.from({ length: size }, (_, i) => ({
        inputIds: [101, ...Array.from({ length: tokens - 2 }, (_, j) => 2000 + ((b * 131 + i * 31 + j * 7) % 20000)), 102],
        tokenTypeIds: new Array(tokens).fill(0),
        label: i % 2,
        line: i,
      })),
      0,
    ),
  );
}
