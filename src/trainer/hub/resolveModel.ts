/**
 * A model reference as a user types it — a local folder or a Hub id — turned into a folder on
 * disk. A path that exists is a folder (a run's folder: its best checkpoint); anything else must
 * be a valid Hub id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadModel, hubOptionsFromEnv, type HubOptions } from './hubDownload';
import { looksLikePath, validateModelId } from '../../shared/modelId';
import { RUN_FILES, checkpointDir } from '../../shared/runFolder';

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
    // A run folder stands for the model it trained: its best checkpoint (the one predictions use), else its last.
    const isRun = fs.existsSync(path.join(dir, RUN_FILES.config)) || fs.existsSync(path.join(dir, RUN_FILES.checkpoints));
    if (!fs.existsSync(path.join(dir, 'config.json')) && isRun) {
      for (const kind of ['best', 'last'] as const) {
        const checkpoint = checkpointDir(dir, kind);
        if (fs.existsSync(path.join(checkpoint, 'config.json')))
          return { dir: checkpoint, notices: [`${ref} is a run: using its ${kind} checkpoint (${checkpoint}).`] };
      }
      throw new Error(`${ref} is a run with no saved model yet (no checkpoints/best or checkpoints/last): train it further, or give a model folder.`);
    }
    return { dir, notices: [] };
  }
  const [id, revision] = ref.split('@');
  const got = await downloadModel(validateModelId(id), { ...options, revision: revision ?? options.revision });
  return { dir: got.dir, hubId: id, notices: got.notices };
}
