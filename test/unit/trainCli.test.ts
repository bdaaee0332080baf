import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/trainer/cli/args';
import { trainConfigFromArgs } from '../../src/trainer/cli/trainCommand';

const base = ['--data', 'd.csv', '--text-col', 'text', '--label-col', 'label', '--model', 'm', '--out', 'o'];

describe('bert-tune train options', () => {
  it('fills the defaults of the classic recipe', () => {
    const { config } = trainConfigFromArgs(base);
    assert.equal(config!.learningRate, 5e-5);
    assert.equal(config!.validationSplit, 0.2);
    assert.equal(config!.maxLength, 128);
    assert.equal(config!.shuffle, true);
    assert.equal(config!.classWeights, 'none');
  });

  it('reads every option', () => {
    const { config, logSteps } = trainConfigFromArgs([
      ...base,
      '--dropout',
      '0',
      '--no-shuffle',
      '--max-steps',
      '10',
      '--warmup-steps',
      '3',
      '--class-weights',
      '1,2.5',
      '--delimiter',
      'tab',
      '--no-header',
      '--schedule',
      'cosine',
      '--grad-accum',
      '2',
      '--metric',
      'macro_f1',
      '--early-stopping',
      '2',
      '--eval-steps',
      '5',
      '--log-steps',
      '--group-by-length',
    ]);
    assert.equal(config!.dropout, 0);
    assert.equal(config!.shuffle, false);
    assert.equal(config!.maxSteps, 10);
    assert.equal(config!.warmupSteps, 3);
    assert.deepEqual(config!.classWeights, [1, 2.5]);
    assert.equal(config!.delimiter, '\t');
    assert.equal(config!.header, false);
    assert.equal(config!.schedule, 'cosine');
    assert.equal(config!.gradientAccumulation, 2);
    assert.equal(config!.metricForBest, 'macro_f1');
    assert.equal(config!.earlyStoppingPatience, 2);
    assert.equal(config!.groupByLength, true);
    assert.equal(logSteps, true);
  });

  it('refuses nonsense with the option named', () => {
    assert.throws(
      () => trainConfigFromArgs([...base, '--lr', 'fast']),
      (e: Error) => e instanceof UsageError && /--lr takes a number/.test(e.message),
    );
    assert.throws(
      () => trainConfigFromArgs([...base, '--schedule', 'zigzag']),
      (e: Error) => e instanceof UsageError && /schedule/.test(e.message),
    );
    assert.throws(() => trainConfigFromArgs([...base, '--validation-split', '1.5']), /--validation-split must be less than 1, not 1\.5\./);
    assert.throws(() => trainConfigFromArgs(['--data', 'x']), /--text-col is required/);
    assert.throws(() => trainConfigFromArgs([...base, '--bogus']), /Unknown option '--bogus'/);
  });

  it('says what each setting must be, in sentences, and refuses sizes no run has', () => {
    const refused = (args: string[], message: RegExp) =>
      assert.throws(
        () => trainConfigFromArgs([...base, ...args]),
        (e: Error) => e instanceof UsageError && message.test(e.message.split('\n')[0]),
      );
    refused(['--validation-split', '0'], /^--validation-split must be more than 0, not 0\.$/);
    refused(['--epochs', '1e12'], /^--epochs must be at most 10000, not 1000000000000\.$/);
    refused(['--batch-size', '1e9'], /^--batch-size must be at most 8192, not 1000000000\.$/);
    refused(['--batch-size', '0'], /^--batch-size must be more than 0, not 0\.$/);
    refused(['--max-length', '100000'], /^--max-length must be at most 8192, not 100000\.$/);
    refused(['--batch-size', '2.5'], /^--batch-size must be a whole number, not 2\.5\.$/);
    refused(['--schedule', 'zigzag'], /^--schedule must be one of "linear", "cosine", "constant", not "zigzag"\.$/);
    refused(['--class-weights', '1,-2'], /^--class-weights\[1\] must be more than 0, not -2\.$/);
    refused(['--epochs', '1e12', '--lr', '0'], /^--epochs must be at most 10000.*; --lr must be more than 0, not 0\.$/);
  });

  it('takes --resume alone', () => {
    assert.deepEqual(trainConfigFromArgs(['--resume', 'runs/a']), { resume: 'runs/a', logSteps: false });
  });

  it('keeps files as absolute paths, so --resume works from another folder; a Hub id stays an id', () => {
    const { config } = trainConfigFromArgs([...base, '--validation-data', 'v.csv']);
    assert.equal(config!.data, path.resolve('d.csv'));
    assert.equal(config!.out, path.resolve('o'));
    assert.equal(config!.validationData, path.resolve('v.csv'));
    assert.equal(config!.model, 'm', 'no folder "m" here: a Hub id');
    const here = path.relative(process.cwd(), path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert'));
    assert.equal(trainConfigFromArgs([...base.slice(0, -4), '--model', here, '--out', 'o']).config!.model, path.resolve(here));
  });
});
