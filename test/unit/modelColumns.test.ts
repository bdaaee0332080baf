/** #26 (7): a pair model's prediction or evaluation gets both texts: from its run, else asked. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { ColumnInfo, DatasetInfo } from '../../src/shared/dataset';
import { RUN_FILES, runConfigText } from '../../src/shared/runFolder';
import { TRAIN_DEFAULTS } from '../../src/shared/trainerProtocol';
import { planPairColumn, trainedColumns } from '../../src/extension/predict/modelColumns';
import { tempDir } from './helpers';

const column = (name: string, o: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  filled: 100,
  meanLength: 40,
  distinct: 100,
  distinctCapped: false,
  numeric: false,
  role: 'other',
  ...o,
});
const file = (...columns: ColumnInfo[]): DatasetInfo => ({
  format: 'csv',
  delimiter: ',',
  quoting: true,
  hasHeader: true,
  encoding: 'utf-8',
  rows: 100,
  columns,
  problems: [],
  sizeBytes: 1000,
});
const news = file(
  column('label', { role: 'label', distinct: 4, meanLength: 1, numeric: true }),
  column('title', { meanLength: 45 }),
  column('description', { role: 'text', meanLength: 190 }),
);
const single = file(column('text', { role: 'text' }), column('label', { role: 'label', distinct: 2, meanLength: 3 }));

/** A run folder whose checkpoint is a model trained on `pairCol` (or on one text). */
function run(pairCol?: string): string {
  const dir = path.join(tempDir(), 'runs', 'r');
  const best = path.join(dir, RUN_FILES.checkpoints, 'best');
  fs.mkdirSync(best, { recursive: true });
  fs.writeFileSync(path.join(best, 'config.json'), '{}');
  fs.writeFileSync(
    path.join(dir, RUN_FILES.config),
    runConfigText({ ...TRAIN_DEFAULTS, data: 'news.csv', textCol: 'title', pairCol, labelCol: 'label', model: 'm', out: dir }),
  );
  return best;
}

describe("a model's columns", () => {
  it("a run's checkpoint knows its columns; a plain folder does not", () => {
    assert.deepEqual(trainedColumns(run('description')), { textCol: 'title', pairCol: 'description', labelCol: 'label' });
    assert.equal(trainedColumns(tempDir()), undefined);
  });

  it("a pair run's model gets its second column, without asking", () => {
    assert.deepEqual(planPairColumn(run('description'), news, 'title', 'label'), { use: 'description' });
  });

  it('a single-text run gets none, even where the file has a second text', () => {
    assert.deepEqual(planPairColumn(run(), news, 'title', 'label'), { use: undefined });
  });

  it('a model of unknown origin: asked where the file has a second text, the likely one first; not asked otherwise', () => {
    const plan = planPairColumn(tempDir(), news, 'title', 'label');
    assert.ok('ask' in plan);
    assert.deepEqual(plan.ask.columns, ['description']);
    assert.equal(plan.ask.trainedOnPairs, false);
    assert.deepEqual(planPairColumn(tempDir(), single, 'text', 'label'), { use: undefined });
  });

  it('a pair run on a file without its second column: asked, saying which column it was', () => {
    const renamed = file(column('title'), column('body', { meanLength: 200 }), column('label', { role: 'label', distinct: 4 }));
    const plan = planPairColumn(run('description'), renamed, 'title', 'label');
    assert.ok('ask' in plan);
    assert.match(plan.ask.question, /trained on pairs, their second text in "description", which this file lacks/);
    assert.deepEqual(plan.ask.columns, ['body']);
  });

  it('what the caller says wins (null: none)', () => {
    assert.deepEqual(planPairColumn(run('description'), news, 'title', 'label', null), { use: undefined });
    assert.deepEqual(planPairColumn(tempDir(), news, 'title', 'label', 'description'), { use: 'description' });
  });
});
