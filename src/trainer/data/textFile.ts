/** Reading a text file whatever its encoding: byte-order marks, UTF-8 (callers fall back to Latin-1), streamed line by line or chunk by chunk. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { datasetKind, type Delimiter, type Encoding } from '../../shared/dataset';
import type { FileFingerprint } from '../../shared/trainerProtocol';

export const SAMPLE_BYTES = 64 * 1024;
export const CHUNK_BYTES = 256 * 1024;

export function detectEncoding(head: Buffer): Encoding | 'binary' {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8-bom';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (binaryReason(head)) return 'binary';
  return 'utf-8';
}

/** Archives and images a data file is often confused with, by their first bytes. */
const MAGIC: [string, number[]][] = [
  ['a zip archive (an .xlsx workbook is one)', [0x50, 0x4b, 0x03, 0x04]],
  ['gzip-compressed', [0x1f, 0x8b]],
  ['a PDF document', [0x25, 0x50, 0x44, 0x46, 0x2d]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
];

/**
 * Why the first bytes are not text, or undefined: NUL bytes, a known binary format, or more
 * than 1 % control characters that no text file holds (Latin-1 would read anything as text).
 */
export function binaryReason(head: Buffer): string | undefined {
  for (const [what, magic] of MAGIC) if (magic.every((b, i) => head[i] === b)) return `it is ${what}`;
  if (head.includes(0)) return 'it holds NUL bytes';
  let control = 0;
  for (const b of head) if (b < 0x20 ? b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c : b === 0x7f) control++;
  if (head.length >= 64 && control > head.length / 100) return `${Math.round((100 * control) / head.length)} % of its first bytes are control characters`;
  return undefined;
}

export const decoderLabel = (e: Encoding): string => (e === 'utf-8-bom' ? 'utf-8' : e);

/** Text decoding errors surface from a stream as this; anything else is an I/O problem. */
export const isDecodeError = (e: unknown): boolean => e instanceof TypeError && (e as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA';

export function preferredDelimiter(file: string): Delimiter {
  return datasetKind(file).delimiter;
}

/** Why `file` cannot be read as a data file (a folder, a pipe, a device), or undefined when it is a regular file. */
export class NotAFileError extends Error {}

/**
 * Refuses anything but a regular file before it is opened: opening a FIFO named `.csv` blocks
 * until someone writes to it, beyond any stop request.
 */
export async function assertRegularFile(file: string): Promise<void> {
  const stat = await fs.promises.stat(file);
  if (stat.isDirectory()) throw new NotAFileError(`${file} is a folder, not a data file: give a CSV, TSV or JSONL file inside it.`);
  if (!stat.isFile()) throw new NotAFileError(`${file} is not a regular file (a pipe, socket or device): copy the data into a CSV, TSV or JSONL file.`);
}

export async function readHead(file: string): Promise<{ head: Buffer; size: number }> {
  await assertRegularFile(file);
  const handle = await fs.promises.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return { head: buf.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/** Decoded chunks of the file, as a source for a pipeline. The decoder throws on bad bytes. */
export function decodedChunks(encoding: Encoding) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<string> {
    const decoder = new TextDecoder(decoderLabel(encoding), { fatal: encoding !== 'latin1' });
    for await (const chunk of source) yield decoder.decode(chunk, { stream: true });
    const tail = decoder.decode();
    if (tail) yield tail;
  };
}

/**
 * Splits decoded text into lines (LF, CRLF or CR, mixed as they come), across chunk boundaries.
 * A line longer than a chunk is kept as its pieces until its end arrives: joining the rest to
 * every new chunk made a 200 MB line cost the square of its size.
 */
export async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let pending: string[] = [];
  let lastWasCR = false;
  for await (const chunk of chunks) {
    let start = 0;
    // a CRLF split across chunks: the CR ended the line, the LF ends nothing
    if (lastWasCR && chunk.startsWith('\n')) start = 1;
    lastWasCR = false;
    for (let i = start; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      pending.push(chunk.slice(start, i));
      yield pending.length === 1 ? pending[0] : pending.join('');
      pending = [];
      if (c === 13) {
        if (i + 1 < chunk.length) {
          if (chunk.charCodeAt(i + 1) === 10) i++;
        } else lastWasCR = true;
      }
      start = i + 1;
    }
    if (start < chunk.length) pending.push(chunk.slice(start));
  }
  if (pending.length) yield pending.join('');
}

/** Reads the whole file through a strict UTF-8 decoder: false at the first invalid byte. */
export async function isValidUtf8File(file: string): Promise<boolean> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK_BYTES })) decoder.decode(chunk as Buffer, { stream: true });
    decoder.decode();
    return true;
  } catch (e) {
    if (isDecodeError(e)) return false;
    throw e;
  }
}

/** The file's size and SHA-256, streamed; undefined when it cannot be read (the reader says why later). */
export async function fileFingerprint(file: string): Promise<FileFingerprint | undefined> {
  try {
    await assertRegularFile(file);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { bytes, sha256: hash.digest('hex') };
  } catch {
    return undefined;
  }
}
