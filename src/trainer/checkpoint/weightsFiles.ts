/**
 * Finds and reads the weight files of a Hugging Face model folder: model.safetensors, a sharded
 * model.safetensors.index.json, or (for older Hub models) pytorch_model.bin through our
 * restricted reader. Returns float32 tensors under their names as stored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TorchTensor } from '../model/classifier';
import { readTorchCheckpoint } from './torchPickle';
import { parseSafetensors, toFloat32 } from './safetensors';

export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

/** A shard named by an index file must be a plain file name inside the model folder. */
function shardPath(dir: string, indexFile: string, shard: unknown): string {
  if (typeof shard !== 'string' || !/^[\w.-]+$/.test(shard) || shard.startsWith('.')) {
    throw new Error(`${indexFile}: shard name ${JSON.stringify(shard)} is not a plain file name in the model folder`);
  }
  return path.join(dir, shard);
}

function readIndex(dir: string, indexName: string): string[] {
  const file = path.join(dir, indexName);
  let index: unknown;
  try {
    index = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const map = (index as { weight_map?: unknown })?.weight_map;
  if (!map || typeof map !== 'object') throw new Error(`${file}: no "weight_map" object`);
  return [...new Set(Object.values(map as Record<string, unknown>).map(s => shardPath(dir, file, s)))];
}

function readSafetensorsFile(file: string, into: Map<string, TorchTensor>): void {
  const parsed = parseSafetensors(fs.readFileSync(file), file);
  for (const [name, entry] of parsed.tensors) into.set(name, { shape: entry.shape, data: toFloat32(entry) });
}

export function findWeightsFile(dir: string): string | undefined {
  return WEIGHT_FILES.find(f => fs.existsSync(path.join(dir, f)));
}

export function readWeights(dir: string): { tensors: Map<string, TorchTensor>; source: string } {
  const found = findWeightsFile(dir);
  if (!found) throw new Error(`${dir}: no weights found (looked for ${WEIGHT_FILES.join(', ')})`);
  const tensors = new Map<string, TorchTensor>();
  switch (found) {
    case 'model.safetensors':
      readSafetensorsFile(path.join(dir, found), tensors);
      break;
    case 'model.safetensors.index.json':
      for (const shard of readIndex(dir, found)) readSafetensorsFile(shard, tensors);
      break;
    case 'pytorch_model.bin':
      for (const [k, v] of readTorchCheckpoint(path.join(dir, found))) tensors.set(k, v);
      break;
    case 'pytorch_model.bin.index.json':
      for (const shard of readIndex(dir, found)) for (const [k, v] of readTorchCheckpoint(shard)) tensors.set(k, v);
      break;
  }
  return { tensors, source: found };
}
