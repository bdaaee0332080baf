/** Small helpers shared by the CLI commands: option parsing with clear errors, JSON-lines input. */
import * as readline from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: attachDashValues(args, options), options, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

export function requireOption(value: string | undefined, name: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required\n\n${usage}`);
  return value;
}

/** A whole-number option in [min, max] (default: any non-negative one), or its fallback when absent. */
export function intOption(value: string | undefined, name: string, fallback?: number, range: { min?: number; max?: number } = {}): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} takes a whole number ${max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`}, not "${value}"`);
  }
  return n;
}

export interface TextInput {
  text: string;
  text_pair?: string;
}

/** Reads {"text", "text_pair"?} objects, one per line of stdin; a bad line names its number. */
export async function* readTextLines(input: NodeJS.ReadableStream = process.stdin): AsyncGenerator<TextInput> {
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new UsageError(`stdin line ${n}: not valid JSON (${(e as Error).message})`);
    }
    const o = v as Partial<TextInput>;
    if (!o || typeof o !== 'object' || typeof o.text !== 'string' || (o.text_pair !== undefined && typeof o.text_pair !== 'string')) {
      throw new UsageError(`stdin line ${n}: expected {"text": "...", "text_pair"?: "..."}`);
    }
    yield { text: o.text, text_pair: o.text_pair };
  }
}

/**
 * `--labels -1,0,1` as `--labels=-1,0,1`: node's parser takes a value that starts with "-" for
 * an option of its own and refuses it as ambiguous, so a label, a column or a number that
 * starts with a dash could not be given. A value is attached when its option takes one and the
 * value is none of the command's options.
 */
export function attachDashValues(args: string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  const isOption = (a: string) =>
    a.startsWith('--') ? a.slice(2).split('=')[0] in options : Object.values(options).some(o => o.short !== undefined && a === `-${o.short}`);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    const next = args[i + 1];
    if (
      name !== undefined &&
      Object.hasOwn(options, name) &&
      options[name].type === 'string' &&
      next !== undefined &&
      next.startsWith('-') &&
      next !== '--' &&
      !isOption(next)
    ) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
