/**
 * A model reference as a user types it — a local folder or a Hub id — turned into a folder on
 * disk. A path that exists is a folder; anything else must be a valid Hub id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadModel, hubOptionsFromEnv, type HubOptions } from './hubDownload';
import { looksLikePath, validateModelId } from '../../shared/modelId';

export interface ResolvedModel {
  dir: string;
  /** The Hub id it came from, if any. */
  hubId?: string;
  notices: string[];
}

export async function resolveModel(ref: string, options: HubOptions = hubOptionsFromEnv()): Promise<ResolvedModel> {
  if (looksLikePath(ref)) {
    const dir = path.resolve(ref);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${ref}: no such model folder`);
    return { dir, notices: [] };
  }
  const [id, revision] = ref.split('@');
  const got = await downloadModel(validateModelId(id), { ...options, revision: revision ?? options.revision });
  return { dir: got.dir, hubId: id, notices: got.notices };
}
