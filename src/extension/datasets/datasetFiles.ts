/** Which workspace files the Datasets view shows. */
import * as vscode from 'vscode';
import { BERT_TUNE_FOLDER } from '../../shared/runFolder';
import { DATASET_GLOB } from '../../shared/dataset';

export { DATASET_GLOB };

/** Enough for any real workspace; past it the view says the list is cut. */
export const MAX_DATASET_FILES = 5000;

/** Folders that hold other people's files, or ours (a run's metrics.jsonl is no dataset), whatever `files.exclude` says. */
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', BERT_TUNE_FOLDER]);

export function isSkippedPath(uri: vscode.Uri): boolean {
  return uri.path.split('/').some(segment => ALWAYS_SKIPPED.has(segment));
}

/**
 * The workspace's dataset files. Passing no exclude pattern makes VS Code apply the user's
 * `files.exclude`, which a pattern of our own would replace; node_modules, .git and .bert-tune
 * are then filtered here.
 */
export async function findDatasetFiles(token?: vscode.CancellationToken): Promise<{ files: vscode.Uri[]; truncated: boolean }> {
  const found = await vscode.workspace.findFiles(DATASET_GLOB, undefined, MAX_DATASET_FILES + 1, token);
  const files = found.filter(uri => !isSkippedPath(uri));
  return { files: files.slice(0, MAX_DATASET_FILES), truncated: found.length > MAX_DATASET_FILES };
}
