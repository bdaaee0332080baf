import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BertTuneTestApi } from '../../src/extension/main';
import type { RunOutcome } from '../../src/extension/training/trainingManager';
import { TrainingManager } from '../../src/extension/training/trainingManager';
import { extensionApi, tinyModel, tinyRoberta, waitFor, workspaceRoot } from './util';

describe('Fine-tuning from VS Code', function () {
  this.timeout(120_000);
  let api: BertTuneTestApi;
  const sst2 = () => vscode.Uri.joinPath(workspaceRoot(), 'sst2-dev-200.tsv');
  const runs = () => api.ctx.runsTree.runs();

  before(async () => {
    api = await extensionApi();
    await api.ctx.catalog.whenIdle();
  });

  it('trains a run to the end in .bert-tune/runs, and the Runs view shows it done with its accuracy', async () => {
    const outcome = (await vscode.commands.executeCommand('bertTune.fineTune', sst2(), {
      textCol: 'text',
      labelCol: 'label',
      model: tinyModel(api),
      settings: { epochs: 1, batchSize: 16, learningRate: 1e-3 },
      confirm: false,
    })) as RunOutcome;
    assert.equal(outcome.status, 'completed', outcome.message);
    assert.ok(outcome.runDir.startsWith(path.join(workspaceRoot().fsPath, '.bert-tune', 'runs')));
    for (const f of ['train-config.json', 'log.txt', 'metrics.jsonl', 'checkpoints/best/model.safetensors'])
      assert.ok(fs.existsSync(path.join(outcome.runDir, f)), f);
    assert.match(fs.readFileSync(path.join(workspaceRoot().fsPath, '.bert-tune', '.gitignore'), 'utf8'), /checkpoints/);
    const item = api.ctx.runsTree.getTreeItem({ run: runs().find(r => r.dir === outcome.runDir)! });
    assert.match(String(item.description), /^done · best accuracy \d+\.\d%/);
    // The row and its tooltip say one number: the best evaluation's, whose checkpoint predictions use.
    const best = runs().find(r => r.dir === outcome.runDir)!.best!;
    const shown = `${(100 * best.value).toFixed(1)}%`;
    assert.ok(String(item.description).includes(shown), `${item.description} vs ${shown}`);
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, '').replaceAll('&nbsp;', ' '); // appendText escapes punctuation and spaces
    assert.ok(tooltip.includes(`Best accuracy ${shown} at step ${best.step}: the checkpoint predictions use`), tooltip);
  });

  it('uses a finished run for predictions, and the Runs view marks that run', async () => {
    const run = runs().find(r => r.status === 'completed')!;
    const before = api.ctx.activeModel.current;
    try {
      const model = (await vscode.commands.executeCommand('bertTune.runs.useForPredictions', { run })) as { ref: string };
      assert.equal(model.ref, path.join(run.dir, 'checkpoints', 'best'));
      const marked = api.ctx.runsTree.getTreeItem({ run: runs().find(r => r.dir === run.dir)! });
      assert.match(String(marked.description), /used for predictions/);
      const others = runs()
        .filter(r => r.dir !== run.dir)
        .map(r => String(api.ctx.runsTree.getTreeItem({ run: r }).description));
      assert.ok(
        others.every(d => !d.includes('used for predictions')),
        others.join(' | '),
      );
    } finally {
      await api.ctx.activeModel.set(before);
    }
  });

  it('names a run by its data and model, and renames and annotates it from the Runs view', async () => {
    const run = runs().find(r => r.status === 'completed')!;
    assert.equal(api.ctx.runsTree.getTreeItem({ run }).label, 'sst2-dev-200 · tiny');
    try {
      await vscode.commands.executeCommand('bertTune.runs.rename', { run }, 'first try, lr 1e-3');
      await vscode.commands.executeCommand('bertTune.runs.editNote', { run }, 'one epoch only');
      const renamed = runs().find(r => r.dir === run.dir)!;
      const item = api.ctx.runsTree.getTreeItem({ run: renamed });
      assert.equal(item.label, 'first try, lr 1e-3');
      const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, '').replaceAll('&nbsp;', ' ');
      assert.ok(tooltip.includes('one epoch only') && tooltip.includes(`Folder: ${run.name}`), tooltip);
    } finally {
      await vscode.commands.executeCommand('bertTune.runs.rename', { run }, '');
      await vscode.commands.executeCommand('bertTune.runs.editNote', { run }, '');
    }
    assert.equal(api.ctx.runsTree.getTreeItem({ run: runs().find(r => r.dir === run.dir)! }).label, 'sst2-dev-200 · tiny');
  });

  it("reveals a run's model folder in the Explorer where the workbench has no OS file manager (the web), and opens its log at the end", async () => {
    const run = runs().find(r => r.status === 'completed')!;
    const how = await vscode.commands.executeCommand('bertTune.runs.reveal', { run });
    assert.equal(how, vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName ? 'os' : 'explorer');
    await vscode.commands.executeCommand('bertTune.runs.openLog', { run });
    const editor = vscode.window.activeTextEditor!;
    assert.equal(path.basename(editor.document.uri.fsPath), 'log.txt');
    assert.equal(editor.selection.active.line, editor.document.lineCount - 1, 'at the last line');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('opens the metrics panel of a finished run with everything from its metrics.jsonl', async () => {
    const run = runs().find(r => r.status === 'completed')!;
    const panel = (await vscode.commands.executeCommand('bertTune.showMetrics', { run })) as { messages: { type: string }[]; panel: vscode.WebviewPanel };
    const lines = fs.readFileSync(path.join(run.dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(panel.messages.length, lines.length);
    assert.ok(panel.messages.some(m => m.type === 'evaluation'));
    assert.match(panel.panel.title, /^Metrics: /);
    panel.panel.dispose();
  });

  it("exports a finished run's training script, and imports the model folder such a script writes as a run", async () => {
    const run = runs().find(r => r.status === 'completed')!;
    const target = path.join(workspaceRoot().fsPath, '..', `exported-${Date.now()}`);
    const written = (await vscode.commands.executeCommand('bertTune.runs.exportScript', { run }, target)) as string;
    assert.equal(written, target);
    for (const f of ['train.py', 'recipe.json', 'train.csv', 'validation.csv', 'requirements.txt', 'README.md'])
      assert.ok(fs.existsSync(path.join(target, f)), f);
    assert.equal(JSON.parse(fs.readFileSync(path.join(target, 'recipe.json'), 'utf8')).learning_rate, run.config!.learningRate);
    // What train.py leaves in output/model: a model folder with transformers' trainer_state.json.
    const model = path.join(target, 'output', 'model');
    fs.cpSync(path.join(run.dir, 'checkpoints', 'best'), model, { recursive: true });
    fs.writeFileSync(
      path.join(model, 'trainer_state.json'),
      JSON.stringify({
        global_step: 2,
        best_global_step: 2,
        log_history: [
          { step: 1, epoch: 0.5, loss: 0.7 },
          { step: 2, epoch: 1, loss: 0.6 },
          { step: 2, epoch: 1, eval_loss: 0.6, eval_accuracy: 0.6, eval_macro_f1: 0.55 },
        ],
      }),
    );
    const imported = (await vscode.commands.executeCommand('bertTune.runs.import', model)) as string;
    assert.ok(imported.startsWith(path.join(workspaceRoot().fsPath, '.bert-tune', 'runs')), imported);
    const summary = runs().find(r => r.dir === imported);
    assert.equal(summary?.status, 'completed');
    assert.equal(summary?.accuracy, 0.6);
    fs.rmSync(target, { recursive: true, force: true });
  });

  it('stops a run midway, lists it as stopped, and resumes it to completion', async () => {
    const started = vscode.commands.executeCommand('bertTune.fineTune', sst2(), {
      textCol: 'text',
      labelCol: 'label',
      model: tinyModel(api),
      settings: { epochs: 6, batchSize: 16 },
      confirm: false,
    }) as Thenable<RunOutcome>;
    await waitFor('training to make progress', () => (api.ctx.training.current?.progress?.step ?? 0) >= 2);
    await vscode.commands.executeCommand('bertTune.stopTraining');
    const stopped = await started;
    assert.equal(stopped.status, 'stopped');
    const summary = runs().find(r => r.dir === stopped.runDir)!;
    assert.equal(summary.status, 'stopped');
    assert.match(String(api.ctx.runsTree.getTreeItem({ run: summary }).description), /^stopped/);
    const resumed = (await vscode.commands.executeCommand('bertTune.runs.resume', vscode.Uri.file(stopped.runDir))) as RunOutcome;
    assert.equal(resumed.status, 'completed', resumed.message);
    assert.equal(runs().find(r => r.dir === stopped.runDir)!.status, 'completed');
  });

  it('refuses a second run while one trains', async () => {
    const first = vscode.commands.executeCommand('bertTune.fineTune', sst2(), {
      textCol: 'text',
      labelCol: 'label',
      model: tinyModel(api),
      settings: { epochs: 6, batchSize: 16 },
      confirm: false,
    }) as Thenable<RunOutcome>;
    await waitFor('the first run to start', () => api.ctx.training.current?.progress);
    const second = await vscode.commands.executeCommand('bertTune.fineTune', sst2(), {
      textCol: 'text',
      labelCol: 'label',
      model: tinyModel(api),
      confirm: false,
    });
    assert.equal(second, undefined);
    await vscode.commands.executeCommand('bertTune.stopTraining');
    await first;
  });

  it('surfaces a crashed trainer as an error, and its last checkpoint survives', async () => {
    const run = vscode.commands.executeCommand('bertTune.fineTune', sst2(), {
      textCol: 'text',
      labelCol: 'label',
      model: tinyModel(api),
      settings: { epochs: 20, batchSize: 16, evalSteps: 2 },
      confirm: false,
    }) as Thenable<RunOutcome>;
    const dir: string = (await waitFor<string | false>('a checkpoint', () => {
      const c = api.ctx.training.current;
      return c !== undefined && fs.existsSync(path.join(c.runDir, 'checkpoints', 'last', 'trainer_state.json')) && c.runDir;
    })) as string;
    process.kill(api.ctx.training.current!.process.pid!, 'SIGKILL');
    const outcome = await run;
    assert.equal(outcome.status, 'crashed');
    assert.equal(api.ctx.training.lastOutcome?.status, 'crashed');
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', 'last', 'model.safetensors')));
    assert.equal(runs().find(r => r.dir === dir)!.status, 'interrupted');
  });

  it('on deactivate, asks the trainer to finish its step and save, and it exits', async () => {
    const output = vscode.window.createOutputChannel('BERT Tune test', { log: true });
    const manager = new TrainingManager(api.ctx.trainerJs, output, () => ({}));
    const out = path.join(workspaceRoot().fsPath, '.bert-tune', 'runs', 'deactivate-test');
    const config = {
      data: sst2().fsPath,
      textCol: 'text',
      labelCol: 'label',
      model: tinyModel(api),
      out,
      validationSplit: 0.2,
      epochs: 50,
      batchSize: 16,
      gradientAccumulation: 1,
      learningRate: 1e-4,
      weightDecay: 0.01,
      schedule: 'linear' as const,
      warmupRatio: 0,
      maxGradNorm: 1,
      maxLength: 64,
      seed: 1,
      shuffle: true,
      groupByLength: false,
      classWeights: 'none' as const,
      metricForBest: 'accuracy' as const,
    };
    const ended = manager.start(config);
    await waitFor('progress', () => manager.current?.progress);
    const pid = manager.current!.process.pid!;
    manager.dispose(); // what deactivate does
    await waitFor(
      'the trainer to exit',
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      10_000,
    );
    await ended;
    assert.ok(fs.existsSync(path.join(out, 'checkpoints', 'last', 'trainer_state.json')), 'the stop saved a checkpoint');
    output.dispose();
  });

  it('refuses a malformed CSV before starting, naming its line', async () => {
    const runsDir = path.join(workspaceRoot().fsPath, '.bert-tune', 'runs');
    const count = () => (fs.existsSync(runsDir) ? fs.readdirSync(runsDir).length : 0);
    const before = count();
    const result = await vscode.commands.executeCommand('bertTune.fineTune', vscode.Uri.joinPath(workspaceRoot(), 'bad', 'unclosed-quote.csv'), {
      textCol: 'text',
      labelCol: 'label',
      model: tinyModel(api),
      confirm: false,
    });
    assert.equal(result, undefined);
    assert.equal(count(), before);
  });

  it('trains a RoBERTa from a local folder as it trains BERT: the Runs view names the family, and its model predicts a selection', async () => {
    const outcome = (await vscode.commands.executeCommand('bertTune.fineTune', sst2(), {
      textCol: 'text',
      labelCol: 'label',
      model: tinyRoberta(api),
      settings: { epochs: 1, batchSize: 16, learningRate: 1e-3, maxLength: 64 },
      confirm: false,
    })) as RunOutcome;
    assert.equal(outcome.status, 'completed', outcome.message);
    const saved = JSON.parse(fs.readFileSync(path.join(outcome.runDir, 'checkpoints', 'best', 'config.json'), 'utf8'));
    assert.deepEqual(saved.architectures, ['RobertaForSequenceClassification']);
    const item = api.ctx.runsTree.getTreeItem({ run: runs().find(r => r.dir === outcome.runDir)! });
    const tooltip = (item.tooltip as vscode.MarkdownString).value.replace(/\\/g, '');
    assert.match(tooltip, /\(RoBERTa\)/);
    const before = api.ctx.activeModel.current;
    try {
      await vscode.commands.executeCommand('bertTune.runs.useForPredictions', { run: runs().find(r => r.dir === outcome.runDir)! });
      const doc = await vscode.workspace.openTextDocument({ content: 'a warm and lovely film\n', language: 'plaintext' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 0, 0, 22);
      const shown = (await vscode.commands.executeCommand('bertTune.predictSelection')) as { prediction: { label: string } }[];
      assert.equal(shown.length, 1);
      assert.ok(['0', '1'].includes(shown[0].prediction.label), shown[0].prediction.label);
    } finally {
      await api.ctx.activeModel.set(before);
    }
  });
});
