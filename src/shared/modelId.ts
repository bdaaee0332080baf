/** Hugging Face model ids: "name" or "owner/name", never a path that could leave the cache. */
import * as fs from 'node:fs';
import * as path from 'node:path';

const PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?$/;

export class ModelIdError extends Error {}

export function validateModelId(id: string): string {
  const parts = id.split('/');
  const ok = id.length <= 96 && parts.length >= 1 && parts.length <= 2 && parts.every(p => PART.test(p) && !p.includes('..'));
  if (!ok) {
    throw new ModelIdError(
      `"${id}" is not a Hugging Face model id. Use "owner/name" (letters, digits, "-", "_", "." inside), e.g. google/bert_uncased_L-4_H-256_A-4, or pick a local folder.`,
    );
  }
  return id;
}

/** A revision is a branch, tag or commit; it becomes a file name under refs/, so keep it tame. */
export function validateRevision(revision: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(revision) || revision.split('/').some(p => p === '..' || p === '.' || p === '')) {
    throw new ModelIdError(`"${revision}" is not a valid revision (a branch, tag or commit hash)`);
  }
  return revision;
}

export const isCommitHash = (revision: string): boolean => /^[0-9a-f]{40}$/.test(revision);

/** The cache folder name huggingface_hub uses: models--owner--name. */
export function repoFolderName(id: string): string {
  return `models--${validateModelId(id).replace(/\//g, '--')}`;
}

/** A model reference that names a folder rather than a Hub id: absolute, relative (./, ../), with a backslash, or an existing path. */
export function looksLikePath(ref: string): boolean {
  return path.isAbsolute(ref) || ref.startsWith('.') || ref.includes('\\') || fs.existsSync(ref);
}
