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

/**
 * A tiny random RoBERTa (2 layers, hidden 16, byte-level BPE of 1,200 tokens from the
 * workspace's .models-src) made by the bundled CLI's init-checkpoint --config --tokenizer: a
 * family beside BERT, through the extension.
 */
export function tinyRoberta(api: BertTuneTestApi): string {
  const dir = path.join(workspaceRoot().fsPath, '.models', 'tiny-roberta');
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    const config = path.join(workspaceRoot().fsPath, '.models', 'roberta-config.json');
    fs.mkdirSync(path.dirname(config), { recursive: true });
    fs.writeFileSync(
      config,
      JSON.stringify({
        model_type: 'roberta',
        vocab_size: 1200,
        hidden_size: 16,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 130,
        type_vocab_size: 1,
        pad_token_id: 1,
        layer_norm_eps: 1e-5,
      }),
    );
    const tokenizer = path.join(workspaceRoot().fsPath, '.models-src', 'roberta-tokenizer');
    execFileSync(process.execPath, [api.ctx.trainerJs, 'init-checkpoint', '--config', config, '--tokenizer', tokenizer, '--labels', 'a,b', '--out', dir], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
  }
  return dir;
}
