/**
 * The Hugging Face cache layout, shared with Python's huggingface_hub so that a model downloaded
 * by either is found by the other:
 *   <cache>/models--owner--name/blobs/<etag>
 *   <cache>/models--owner--name/refs/<revision>          (holds the commit hash)
 *   <cache>/models--owner--name/snapshots/<commit>/<file> → ../../blobs/<etag>
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCommitHash, repoFolderName, validateRevision } from './modelId';

/** Where models are cached, as huggingface_hub finds it: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

/** The weights files a BERT checkpoint may have, in the order they are looked for. */
export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

export class RepoCache {
  readonly root: string;

  constructor(
    cacheDir: string,
    readonly modelId: string,
  ) {
    this.root = path.join(cacheDir, repoFolderName(modelId));
  }

  /** The commit a revision points to in the cache, if it was resolved before. */
  commitFor(revision: string): string | undefined {
    if (isCommitHash(revision)) return revision;
    const ref = path.join(this.root, 'refs', validateRevision(revision));
    try {
      const commit = fs.readFileSync(ref, 'utf8').trim();
      return isCommitHash(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /** The snapshot of a revision when the cache holds all a classifier needs (config, vocabulary, weights). */
  complete(revision: string): { dir: string; commit: string } | undefined {
    const commit = this.commitFor(revision);
    if (!commit) return undefined;
    const dir = this.snapshotDir(commit);
    const has = (f: string) => fs.existsSync(path.join(dir, f));
    return has('config.json') && (has('tokenizer.json') || has('vocab.txt') || has('spm.model') || has('vocab.json')) && WEIGHT_FILES.some(has)
      ? { dir, commit }
      : undefined;
  }

  writeRef(revision: string, commit: string): void {
    if (isCommitHash(revision) || !isCommitHash(commit)) return;
    const ref = path.join(this.root, 'refs', validateRevision(revision));
    fs.mkdirSync(path.dirname(ref), { recursive: true });
    fs.writeFileSync(ref, commit);
  }

  snapshotDir(commit: string): string {
    if (!isCommitHash(commit)) throw new Error(`not a commit hash: ${commit}`);
    return path.join(this.root, 'snapshots', commit);
  }

  snapshotFile(commit: string, file: string): string {
    return path.join(this.snapshotDir(commit), file);
  }

  blobPath(etag: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(etag) || etag.startsWith('.')) throw new Error(`the Hub sent an unusable ETag "${etag}"`);
    return path.join(this.root, 'blobs', etag);
  }

  /** Points snapshots/<commit>/<file> at the blob: a relative symlink, or a copy where links fail (Windows without developer mode). */
  link(commit: string, file: string, blob: string): string {
    const pointer = this.snapshotFile(commit, file);
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    fs.rmSync(pointer, { force: true });
    try {
      fs.symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
    } catch {
      fs.copyFileSync(blob, pointer);
    }
    return pointer;
  }
}

/** Why a request did not reach the server, in a word where Node gives one (ENOTFOUND, ECONNREFUSED…). */
export function networkReason(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** The endpoint downloads go to, as huggingface_hub reads HF_ENDPOINT: the default when unset or empty, no trailing slash. */
export function hubEndpoint(raw: string | undefined): string {
  return (raw || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
}

/** HF_HUB_OFFLINE as huggingface_hub reads it (1, true, yes, on). */
export function isHubOffline(env: NodeJS.ProcessEnv): boolean {
  const v = env.HF_HUB_OFFLINE;
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());
}
