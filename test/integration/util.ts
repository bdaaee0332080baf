import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BertTuneTestApi } from '../../src/extension/main';

export const EXTENSION_ID = 'bert-tune.bert-tune';

export async function extensionApi(): Promise<BertTuneTestApi> {
  const ext = vscode.extensions.getExtension<BertTuneTestApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder');
  return folder.uri;
}

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** A tiny random BERT (1 layer, hidden 16, labels a/b) in the Hugging Face layout, made once by the bundled trainer. */
export function tinyModel(api: BertTuneTestApi): string {
  const dir = path.join(workspaceRoot().fsPath, '.models', 'tiny');
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    const vocab = path.join(api.ctx.extension.extensionUri.fsPath, 'resources', 'bert-base-uncased-vocab.txt');
    execFileSync(
      process.execPath,
      [
        api.ctx.trainerJs,
        'init-checkpoint',
        '--layers',
        '1',
        '--hidden',
        '16',
        '--heads',
        '2',
        '--intermediate',
        '32',
        '--vocab',
        vocab,
        '--labels',
        'a,b',
        '--out',
        dir,
      ],
      {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      },
    );
  }
  return dir;
}
