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

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

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
