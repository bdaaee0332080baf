import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'workspace');
export const fixture = (...p: string[]): string => path.join(FIXTURES, ...p);

const made = new Set<string>();
process.on('exit', () => made.forEach(dir => fs.rmSync(dir, { recursive: true, force: true })));

/** A fresh temporary folder, removed when the process exits. */
export function tempDir(prefix = 'bert-tune-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Writes `content` to a new file in a temporary folder and returns its path. */
export function tempFile(name: string, content: string | Buffer): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, content);
  return file;
}

/** The uncased BERT vocabulary every tiny test model uses. */
export const BERT_VOCAB = path.join(__dirname, '..', 'fixtures', 'reference', 'vocab', 'bert-base-uncased-vocab.txt');

/** A random BERT classifier small enough for any test (1 layer, hidden 16, 64 positions) in `dir`, with these labels. */
export async function tinyCheckpoint(dir: string, id2label: Record<number, string> = { 0: 'a', 1: 'b' }, seed = 1): Promise<string> {
  const { initCheckpoint } = await import('../../src/trainer/checkpoint/hfCheckpoint');
  const { parseModelConfig } = await import('../../src/trainer/model/config');
  const config = parseModelConfig({
    model_type: 'bert',
    vocab_size: 30522,
    num_hidden_layers: 1,
    hidden_size: 16,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 64,
    id2label,
  });
  await initCheckpoint(config, BERT_VOCAB, dir, seed);
  return dir;
}
