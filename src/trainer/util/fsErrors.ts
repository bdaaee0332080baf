import * as fs from 'node:fs';
import * as path from 'node:path';
/**
 * File-system failures told as what happened, where, and what to do: a raw "ENOSPC: no space
 * left on device, write" names neither the file nor the remedy. Undefined for other errors.
 */
export function describeFsError(e: unknown, folder: string, probe: (dir: string) => string | undefined = writeProblem): string | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  if (!err || typeof err.code !== 'string') return undefined;
  const where = err.path ? `writing ${err.path}` : `writing into ${folder}`;
  let code = err.code;
  // A recursive mkdir on a read-only file system can fail as ENOENT (a parent it could not make):
  // the nearest folder that exists says what really stands in the way.
  if (code === 'ENOENT' && err.syscall === 'mkdir' && err.path) code = probe(nearestExisting(err.path)) ?? code;
  switch (code) {
    case 'ENOSPC':
      return `The disk is full (${where}). Free some space (a bert-base checkpoint with its optimizer state takes about 1.3 GB), then resume the run: its last complete checkpoint is kept.`;
    case 'EDQUOT':
      return `The disk quota is used up (${where}). Free some space, then resume the run: its last complete checkpoint is kept.`;
    case 'EROFS':
      return `The folder is on a read-only file system (${where}). Train into a folder you can write to (--out).`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied (${err.syscall ?? 'access'} ${err.path ?? folder}). Check the permissions of that file or folder, or train into another one (--out).`;
    default:
      return undefined;
  }
}

function nearestExisting(p: string): string {
  let dir = path.resolve(p);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Why nothing can be made in `dir` (EROFS, EACCES…), or undefined when something can. */
function writeProblem(dir: string): string | undefined {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
}
