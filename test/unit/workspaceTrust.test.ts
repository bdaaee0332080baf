import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS_NEEDING_TRUST, withTrust } from '../../src/extension/trust';

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
      if (/fineTune$|resume|predict|Predictions|ActiveModel/i.test(id) && id !== 'bertTune.clearPredictions')
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
});
