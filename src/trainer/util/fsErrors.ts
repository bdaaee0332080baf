/**
 * File-system failures told as what happened, where, and what to do: a raw "ENOSPC: no space
 * left on device, write" names neither the file nor the remedy. Undefined for other errors.
 */
export function describeFsError(e: unknown, folder: string): string | undefined {
  const err = e as NodeJS.ErrnoException | undefined;
  if (!err || typeof err.code !== 'string') return undefined;
  const where = err.path ? `writing ${err.path}` : `writing into ${folder}`;
  switch (err.code) {
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
