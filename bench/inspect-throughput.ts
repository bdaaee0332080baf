/**
 * How fast the Datasets view's inspector reads a large CSV, against the floor of merely reading
 * the bytes and counting newlines, measured in the same run. Prints figures; asserts nothing.
 *   npx tsx bench/inspect-throughput.ts [SIZE_MB]     (default 200; uses ../shared/data/sst2)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspectDataset } from '../src/trainer/data/inspectDataset';

const sizeMb = Number(process.argv[2] ?? 200);
const source = path.join(__dirname, '..', '..', 'shared', 'data', 'sst2', 'train.tsv');

async function countNewlines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const v = await fn();
  return [v, Number(process.hrtime.bigint() - t) / 1e9];
}

async function main() {
  const body = fs.readFileSync(source, 'utf8').split('\n').slice(1).join('\n');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-bench-')), 'big.tsv');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'text\tlabel\n');
  while (fs.fstatSync(fd).size < sizeMb * 1024 * 1024) fs.writeSync(fd, body);
  fs.closeSync(fd);
  const mb = fs.statSync(file).size / 1024 / 1024;
  try {
    const [lines, tFloor] = await timed(() => countNewlines(file));
    const rssBefore = process.memoryUsage().rss;
    const [info, tInspect] = await timed(() => inspectDataset(file));
    const rssAfter = process.memoryUsage().rss;
    console.log(`file: ${mb.toFixed(0)} MB, ${lines.toLocaleString('en-US')} lines (SST-2 train repeated)`);
    console.log(`read + count newlines: ${(mb / tFloor).toFixed(0)} MB/s`);
    console.log(`inspectDataset:        ${(mb / tInspect).toFixed(1)} MB/s, ${info.rows.toLocaleString('en-US')} rows, ${tInspect.toFixed(1)} s`);
    console.log(`ratio inspect / floor: ${(tFloor / tInspect).toFixed(3)}`);
    console.log(`1 GB would take about ${(1024 / (mb / tInspect)).toFixed(0)} s; RSS grew ${((rssAfter - rssBefore) / 1048576).toFixed(0)} MB`);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

void main();
