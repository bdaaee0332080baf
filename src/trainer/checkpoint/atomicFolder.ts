/**
 * Replaces a folder's contents all at once: the files go into a sibling temporary folder,
 * are flushed to disk, and the folder is renamed into place. A crash midway leaves the previous
 * folder (or, between the two renames, its ".old" copy beside the complete new one) and never a
 * half-written one; `recoverFolder` puts such leftovers back in place on the next start.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { leftoverName, leftoversOf, recoverableCheckpoint } from '../../shared/runFolder';

/** A file's content: bytes, text, or a writer of large content into the open file (safetensors.ts's writeSafetensors). */
export type FileContent = Buffer | string | ((file: fs.promises.FileHandle) => Promise<void>);

export async function writeFolderAtomically(dir: string, files: Record<string, FileContent>): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  await fs.promises.mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, leftoverName(path.basename(dir), 'tmp', tag));
  const old = path.join(parent, leftoverName(path.basename(dir), 'old', tag));
  await fs.promises.mkdir(tmp);
  try {
    for (const [name, content] of Object.entries(files)) {
      if (name !== path.basename(name) || name.startsWith('.')) throw new Error(`refusing to write "${name}": not a plain file name`);
      // "wx": the folder is new, so nothing may be there already (no link can be followed).
      const handle = await fs.promises.open(path.join(tmp, name), 'wx');
      try {
        if (typeof content === 'function') await content(handle);
        else await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    let hadOld = false;
    try {
      await fs.promises.rename(dir, old);
      hadOld = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      await fs.promises.rename(tmp, dir);
    } catch (e) {
      if (hadOld) await fs.promises.rename(old, dir); // put the previous folder back
      throw e;
    }
    syncFolder(parent);
    if (hadOld) await fs.promises.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Makes the renames durable (a no-op where folders cannot be opened, as on Windows). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported here */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * After a kill inside `writeFolderAtomically`: if `dir` is missing, the newest complete copy
 * beside it takes its place; every other leftover is removed (each is a whole checkpoint: GBs for
 * bert-base). Only for a folder this process owns (the run lock): a live save would be disturbed.
 * Returns what it did, for the run log, or undefined when there was nothing to do.
 */
export async function recoverFolder(dir: string): Promise<string | undefined> {
  const leftovers = leftoversOf(dir);
  if (!leftovers.length) return undefined;
  const notes: string[] = [];
  const restored = recoverableCheckpoint(dir);
  if (restored && restored !== dir) {
    await fs.promises.rename(restored, dir);
    notes.push(`restored ${path.basename(dir)} from ${path.basename(restored)}, left by a save that was interrupted`);
  }
  let removed = 0;
  for (const l of leftovers) {
    if (l.path === restored) continue;
    await fs.promises.rm(l.path, { recursive: true, force: true });
    removed++;
  }
  if (removed) notes.push(`removed ${removed} leftover ${removed === 1 ? 'copy' : 'copies'} of ${path.basename(dir)} from interrupted saves`);
  return `Checkpoint ${dir}: ${notes.join('; ')}.`;
}
