/**
 * Replaces a folder's contents all at once: the files go into a sibling temporary folder,
 * are flushed to disk, and the folder is renamed into place. A crash midway leaves the previous
 * folder (or, between the two renames, its ".old" copy) and never a half-written one.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export async function writeFolderAtomically(dir: string, files: Record<string, Buffer | string>): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  await fs.promises.mkdir(parent, { recursive: true });
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${tag}`);
  const old = path.join(parent, `.${path.basename(dir)}.old-${tag}`);
  await fs.promises.mkdir(tmp);
  try {
    for (const [name, content] of Object.entries(files)) {
      if (name !== path.basename(name) || name.startsWith('.')) throw new Error(`refusing to write "${name}": not a plain file name`);
      const handle = await fs.promises.open(path.join(tmp, name), 'w');
      try {
        await handle.writeFile(content);
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
    if (hadOld) await fs.promises.rm(old, { recursive: true, force: true });
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
