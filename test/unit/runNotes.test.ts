/** #17.15: a run's name and note (notes.json): what the Runs view calls a run, kept atomically, never through a link. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { readRunNotes, RUN_FILES, RUN_NOTE_LIMITS, writeRunNotes } from '../../src/shared/runFolder';
import { defaultRunLabel, describeRunSetup, runTitle, summarizeRun } from '../../src/extension/runs/runStore';
import { TRAIN_DEFAULTS } from '../../src/shared/trainerProtocol';
import { tempDir } from './helpers';

const config = (model: string) => ({ ...TRAIN_DEFAULTS, data: '/w/sst2-dev-200.tsv', textCol: 't', labelCol: 'l', model, out: '/w/.bert-tune/runs/r' });

describe('run names and notes', () => {
  it('names a run by its data file and base model, not by the timestamp its folder already has', () => {
    assert.equal(defaultRunLabel(config('google/bert_uncased_L-4_H-256_A-4')), 'sst2-dev-200 · bert-mini');
    assert.equal(defaultRunLabel(config('/models/my-bert')), 'sst2-dev-200 · my-bert');
    assert.equal(defaultRunLabel(config('/w/.bert-tune/runs/r/base-model')), 'sst2-dev-200 · from scratch');
    assert.equal(defaultRunLabel(config('textattack/bert-base-uncased-SST-2')), 'sst2-dev-200 · bert-base-uncased-SST-2');
    assert.equal(defaultRunLabel(undefined), 'run');
    assert.equal(defaultRunLabel(undefined, '/w/.bert-tune/runs/news-big-run'), 'news-big-run', 'an imported run: its folder, not "run"');
  });

  it('the tooltip names every column a run read, the second text too, and a from-scratch model as such, not as a path', () => {
    const run = '/w/.bert-tune/runs/r';
    const pair = { ...config('google/bert_uncased_L-4_H-256_A-4'), textCol: 'title', pairCol: 'description' };
    assert.match(describeRunSetup(pair, run), /Text: title · Second text: description · Label: l$/m);
    const scratch = describeRunSetup(config(`${run}/base-model`), run);
    assert.match(scratch, /Model: from scratch \(random weights/);
    assert.match(describeRunSetup(pair, run, 'roberta'), /^Model: .* \(RoBERTa\)$/m, 'the family, where the run said it');
    assert.doesNotMatch(scratch, /base-model$/m);
  });

  it('writes, reads and clears notes.json; the summary takes its title and note at once', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, RUN_FILES.metrics), '');
    const before = summarizeRun(dir, false);
    assert.equal(before.label, path.basename(dir), 'no config: the folder names it');
    writeRunNotes(dir, { title: '  lr 1e-4, frozen  ', note: 'better recall on ABBR' });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.notes), 'utf8')), {
      schemaVersion: 1,
      title: 'lr 1e-4, frozen',
      note: 'better recall on ABBR',
    });
    const after = summarizeRun(dir, false);
    assert.equal(after.label, 'lr 1e-4, frozen');
    assert.equal(runTitle(dir), 'lr 1e-4, frozen', 'the name notifications, dialogs and the model picker use');
    assert.equal(after.note, 'better recall on ABBR');
    writeRunNotes(dir, { title: '', note: 'better recall on ABBR' });
    assert.deepEqual(readRunNotes(dir), { note: 'better recall on ABBR' });
    writeRunNotes(dir, {});
    assert.ok(!fs.existsSync(path.join(dir, RUN_FILES.notes)));
    assert.deepEqual(
      fs.readdirSync(dir).filter(f => f.includes('.tmp-')),
      [],
      'no temporary file left',
    );
  });

  it('reads a damaged notes.json as no notes, and refuses a link or an overlong name', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, RUN_FILES.notes), '{ not json');
    assert.deepEqual(readRunNotes(dir), {});
    assert.throws(() => writeRunNotes(dir, { title: 'x'.repeat(RUN_NOTE_LIMITS.title + 1) }), /at most 120 characters/);
    const elsewhere = path.join(tempDir(), 'target.json');
    fs.writeFileSync(elsewhere, 'keep');
    fs.rmSync(path.join(dir, RUN_FILES.notes));
    fs.symlinkSync(elsewhere, path.join(dir, RUN_FILES.notes));
    assert.throws(() => writeRunNotes(dir, { title: 'hijack' }), /symbolic link/);
    assert.equal(fs.readFileSync(elsewhere, 'utf8'), 'keep');
  });
});
