import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, extensionApi } from './util';

interface Manifest {
  engines: { vscode: string };
  contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
}

describe('Manifest', () => {
  const manifest = () => vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Manifest;

  it('registers every command it contributes, and no command it does not', async () => {
    await extensionApi();
    const contributed = manifest()
      .contributes.commands.map(c => c.command)
      .sort();
    // VS Code adds focus/open/... commands for each view; those are not ours to register.
    const viewIds = Object.values(manifest().contributes.views)
      .flat()
      .map(v => v.id);
    const generated = (c: string) => viewIds.some(v => c.startsWith(`${v}.`) && /\.(focus|open|removeView|resetViewLocation|toggleVisibility)$/.test(c));
    const registered = (await vscode.commands.getCommands(true)).filter(c => c.startsWith('bertTune.') && !generated(c)).sort();
    assert.deepEqual(registered, contributed);
  });

  it('contributes the Datasets and Runs views in the BERT Tune container', () => {
    assert.deepEqual(
      manifest().contributes.views.bertTune.map(v => v.id),
      ['bertTune.datasets', 'bertTune.runs'],
    );
  });

  it("ignores the workspace's Hub endpoint and cache folder (its .vscode/settings.json sets both): HF_TOKEN goes only where the user says", async () => {
    const api = await extensionApi();
    const c = vscode.workspace.getConfiguration('bertTune');
    assert.equal(c.inspect('hub.endpoint')?.workspaceValue, undefined, 'machine scope: VS Code drops the workspace value');
    assert.equal(c.get('hub.endpoint'), '');
    assert.equal(c.get('hub.cacheFolder'), '');
    const env = api.ctx.trainerEnv();
    assert.equal(env.HF_ENDPOINT, undefined);
    assert.equal(env.HF_HUB_CACHE, undefined);
  });

  it('runs in a VS Code that satisfies engines.vscode', () => {
    assert.equal(manifest().engines.vscode, '^1.100.0');
    const [major, minor] = vscode.version.split('.').map(Number);
    assert.ok(major > 1 || minor >= 100, vscode.version);
  });
});
