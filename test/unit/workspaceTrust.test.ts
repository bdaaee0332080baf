import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import { deleteRunFolder } from '../../src/extension/runs/deleteRun';
import { COMMANDS_NEEDING_TRUST, withTrust } from '../../src/extension/trust';
import { RUN_FILES, RUNS_FOLDER } from '../../src/shared/runFolder';
import { tempDir } from './helpers';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

describe('Restricted Mode and workspace settings', () => {
  it('declares limited support in untrusted workspaces, with the settings a workspace must not steer', () => {
    const trust = manifest.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    assert.match(trust.description, /Restricted Mode/);
    const settings = Object.keys(manifest.contributes.configuration.properties);
    for (const s of trust.restrictedConfigurations) assert.ok(settings.includes(s), `${s} is a setting`);
  });

  it('reads the Hub endpoint and cache folder from user settings only (machine scope)', () => {
    const props = manifest.contributes.configuration.properties;
    for (const s of ['bertTune.hub.endpoint', 'bertTune.hub.cacheFolder']) assert.equal(props[s].scope, 'machine', s);
  });

  it('guards only commands that exist, and every command that trains or predicts', () => {
    const contributed = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    for (const id of COMMANDS_NEEDING_TRUST) assert.ok(contributed.has(id), id);
    for (const id of contributed as Set<string>) {
      if (/fineTune$|resume|predict|Predictions|ActiveModel|delete|rename|editNote/i.test(id) && id !== 'bertTune.clearPredictions')
        assert.ok(COMMANDS_NEEDING_TRUST.has(id), `${id} needs trust`);
    }
  });

  it('runs a guarded command only in a trusted workspace, and says why otherwise', () => {
    let trusted = false;
    const refusals: string[] = [];
    const guarded = withTrust(
      (x: number) => x * 2,
      () => trusted,
      () => refusals.push('refused'),
    );
    assert.equal(guarded(2), undefined);
    assert.deepEqual(refusals, ['refused']);
    trusted = true;
    assert.equal(guarded(2), 4);
    assert.equal(refusals.length, 1);
  });

  it('Delete, Rename and Edit Note write into the workspace: guarded', () => {
    for (const id of ['bertTune.runs.delete', 'bertTune.runs.rename', 'bertTune.runs.editNote']) assert.ok(COMMANDS_NEEDING_TRUST.has(id), id);
  });
});

describe('Delete a run', () => {
  const runFolder = () => {
    const dir = path.join(tempDir(), RUNS_FOLDER, '20261207-101010-data');
    fs.mkdirSync(path.join(dir, 'checkpoints', 'last'), { recursive: true });
    fs.writeFileSync(path.join(dir, RUN_FILES.log), 'log\n');
    return dir;
  };

  it('checks the run lock again after the confirmation: a trainer that started meanwhile keeps its run', async () => {
    const dir = runFolder();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const result = await deleteRunFolder(dir, {
        isTraining: () => false,
        confirm: async () => {
          // while the dialog is open, a trainer (the CLI) takes the run
          fs.writeFileSync(
            path.join(dir, RUN_FILES.lock),
            JSON.stringify({ schemaVersion: 1, pid: sleeper.pid, host: os.hostname(), startedAt: new Date().toISOString() }),
          );
          return true;
        },
      });
      assert.equal(result.deleted, false);
      assert.match((result as { refused: string }).refused, new RegExp(`being trained by process ${sleeper.pid}`));
      assert.ok(fs.existsSync(path.join(dir, RUN_FILES.log)), 'the run is still there');
    } finally {
      sleeper.kill();
    }
  });

  it('and a run this window started training meanwhile; otherwise it deletes, leaving nothing beside the runs', async () => {
    const dir = runFolder();
    let training = false;
    const refused = await deleteRunFolder(dir, { isTraining: () => training, confirm: async () => ((training = true), true) });
    assert.deepEqual(refused, { deleted: false, refused: 'this run is training; stop it before deleting it.' });
    let asked = 0;
    assert.deepEqual(await deleteRunFolder(dir, { isTraining: () => false, confirm: async () => (asked++, false) }), { deleted: false });
    assert.equal(asked, 1);
    assert.deepEqual(await deleteRunFolder(dir, { isTraining: () => false, confirm: async () => true }), { deleted: true });
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), []);
  });
});
