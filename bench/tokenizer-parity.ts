/**
 * How often BERT Tune's tokenizers give transformers 5's ids, on 20,000 texts and pairs from every
 * dataset of ../shared/data (English reviews, emotions, questions, SMS spelling, Chinese hotel
 * reviews, MRPC pairs), for each family's tokenizer as the interop suite makes them
 * (test/interop/families.py): WordPiece, byte-level BPE, Unigram from SentencePiece. Prints the
 * share equal per tokenizer and the first texts that differ; asserts nothing.
 *   npx tsx bench/tokenizer-parity.ts [--texts 20000]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadTokenizer } from '../src/trainer/tokenizer/loadTokenizer';

const ROOT = path.join(__dirname, '..');
const PYTHON = path.join(ROOT, '.cache', 'venv', 'bin', 'python');
const i = process.argv.indexOf('--texts');
const count = i >= 0 ? Number(process.argv[i + 1]) : 20_000;

function main() {
  if (!fs.existsSync(PYTHON)) throw new Error('no Python peer: run scripts/install-python-stack.sh first');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-parity-'));
  try {
    const made = path.join(work, 'families');
    execFileSync(PYTHON, [path.join(ROOT, 'test', 'interop', 'families.py'), 'make', made], { stdio: ['ignore', 'ignore', 'ignore'] });
    const folders = ['distilbert', 'roberta', 'xlm-roberta', 'deberta-v3', 'modernbert'].map(f => path.join(made, f));
    const out = path.join(work, 'ids.json');
    execFileSync(PYTHON, [path.join(__dirname, 'tokenizer_parity.py'), String(count), out, ...folders], { stdio: ['ignore', 'ignore', 'inherit'] });
    const { texts, ids } = JSON.parse(fs.readFileSync(out, 'utf8')) as { texts: { text: string; pair?: string }[]; ids: Record<string, number[][]> };
    console.log(`${texts.length} texts (${texts.filter(t => t.pair !== undefined).length} pairs), max length 128, transformers 5 against BERT Tune`);
    console.log('| tokenizer | model | equal | differ | first that differ |');
    console.log('|---|---|---|---|---|');
    for (const folder of folders) {
      const tokenizer = loadTokenizer(folder);
      const kind = (JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')) as { model: { type: string } }).model.type;
      const differ = texts.filter((t, k) => tokenizer.encode(t.text, t.pair, 128).inputIds.join() !== ids[folder][k].join());
      const examples = differ.slice(0, 3).map(t => JSON.stringify(t.text.slice(0, 30)));
      console.log(
        `| ${path.basename(folder)} | ${kind} | ${(100 * (1 - differ.length / texts.length)).toFixed(3)}% | ${differ.length} | ${examples.join(', ')} |`,
      );
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
