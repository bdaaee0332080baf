import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { RUN_FILES, RUNS_FOLDER, runConfigText } from '../../src/shared/runFolder';
import { TRAIN_DEFAULTS } from '../../src/shared/trainerProtocol';
import * as vscode from 'vscode';
import type { BertTuneTestApi } from '../../src/extension/main';
import type { Evaluated } from '../../src/shared/webviews/evaluationPanelProtocol';
import { extensionApi, tinyModel, waitFor, workspaceRoot } from './util';

interface Shown {
  range: vscode.Range;
  prediction: { label: string; confidence: number; probabilities: number[]; truncated: boolean };
  labels: string[];
}

describe('Predictions', function () {
  this.timeout(60_000);
  let api: BertTuneTestApi;
  let model: string;

  before(async () => {
    api = await extensionApi();
    model = tinyModel(api);
    await vscode.commands.executeCommand('bertTune.setActiveModel', { ref: model, name: 'tiny' });
  });

  async function editorWith(text: string): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    return vscode.window.showTextDocument(doc);
  }

  it('predicts each selection, equal to `bert-tune predict` on the same texts and model', async () => {
    const texts = ['a gorgeous, witty, seductive movie.', 'the plot is nothing but boilerplate clichés from start to finish'];
    const editor = await editorWith(`${texts[0]}\nsome filler line\n${texts[1]}\n`);
    editor.selections = [new vscode.Selection(0, 0, 0, texts[0].length), new vscode.Selection(2, 0, 2, texts[1].length)];
    const shown = (await vscode.commands.executeCommand('bertTune.predictSelection')) as Shown[];
    assert.equal(shown.length, 2);
    const cli = execFileSync(process.execPath, [api.ctx.trainerJs, 'predict', '--model', model, '--max-length', '128'], {
      input: texts.map(text => JSON.stringify({ text })).join('\n') + '\n',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    shown.forEach((s, i) => {
      assert.equal(s.prediction.label, cli[i].label);
      assert.ok(Math.abs(s.prediction.confidence - cli[i].confidence) < 1e-6);
      s.labels.forEach((l, k) => assert.ok(Math.abs(s.prediction.probabilities[k] - cli[i].probabilities[l]) < 1e-6));
    });
    assert.equal(api.ctx.selectionPredictions.predictionsFor(editor.document).length, 2);
    // Editing one line drops its prediction only; a line added above moves the other with its text.
    await editor.edit(b => b.insert(new vscode.Position(0, texts[0].length), ' really'));
    await editor.edit(b => b.insert(new vscode.Position(1, 0), 'an added line\n'));
    const after = api.ctx.selectionPredictions.predictionsFor(editor.document);
    assert.equal(after.length, 1);
    assert.equal(editor.document.getText(after[0].range), texts[1]);
    assert.equal(after[0].prediction.label, shown[1].prediction.label);
  });

  it('shows every label in the hover, and predicts a multi-line selection line by line', async () => {
    const editor = await editorWith('first line of text\nsecond line of text\n\nfourth line\n');
    editor.selection = new vscode.Selection(0, 0, 3, 11);
    const shown = (await vscode.commands.executeCommand('bertTune.predictSelectionLineByLine')) as Shown[];
    assert.equal(shown.length, 3); // the empty line is skipped
    const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(1, 3))) as vscode.Hover[];
    const text = hovers.flatMap(h => h.contents.map(c => (c instanceof vscode.MarkdownString ? c.value : String(c)))).join('\n');
    assert.match(text, /BERT Tune/);
    assert.match(text, /\| a \| \d+\.\d%/);
    assert.match(text, /\| b \| \d+\.\d%/);
  });

  it('says when a text was truncated', async () => {
    const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const editor = await editorWith(long);
    editor.selection = new vscode.Selection(0, 0, 0, long.length);
    const [s] = (await vscode.commands.executeCommand('bertTune.predictSelection')) as Shown[];
    assert.equal(s.prediction.truncated, true);
    const hovers = (await vscode.commands.executeCommand('vscode.executeHoverProvider', editor.document.uri, new vscode.Position(0, 5))) as vscode.Hover[];
    assert.match(hovers.map(h => h.contents.map(c => (c as vscode.MarkdownString).value).join('')).join(''), /longer than 128 tokens/);
  });

  it('drops the prediction of text that is edited, and keeps it through edits elsewhere', async () => {
    const editor = await editorWith('edit me please\n');
    editor.selection = new vscode.Selection(0, 0, 0, 7);
    await vscode.commands.executeCommand('bertTune.predictSelection');
    assert.equal(api.ctx.selectionPredictions.predictionsFor(editor.document).length, 1);
    await editor.edit(b => b.insert(new vscode.Position(1, 0), 'more'));
    assert.equal(api.ctx.selectionPredictions.predictionsFor(editor.document).length, 1, 'a line below was edited');
    await editor.edit(b => b.insert(new vscode.Position(0, 3), 'X'));
    assert.equal(api.ctx.selectionPredictions.predictionsFor(editor.document).length, 0, 'its own text was edited');
  });

  it('predicts as the selection changes when bertTune.predict.onSelectionChange is on', async () => {
    const config = vscode.workspace.getConfiguration('bertTune.predict');
    await config.update('onSelectionChange', true, vscode.ConfigurationTarget.Global);
    try {
      const editor = await editorWith('select me and see\n');
      editor.selection = new vscode.Selection(0, 0, 0, 9);
      await waitFor('a prediction of the new selection', () => api.ctx.selectionPredictions.predictionsFor(editor.document).length === 1);
    } finally {
      await config.update('onSelectionChange', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('predicts a CSV column into a new file beside it, never over the source', async () => {
    const source = vscode.Uri.joinPath(workspaceRoot(), 'sst2-dev-200.tsv');
    const before = fs.readFileSync(source.fsPath);
    const out = (await vscode.commands.executeCommand('bertTune.predictCsvColumn', source, { textCol: 'text', probabilities: true })) as string;
    assert.equal(out, source.fsPath.replace(/\.tsv$/, '.predictions.csv'));
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'text,label,predicted_label,confidence,p_a,p_b,prediction_note');
    assert.equal(lines.length, 201);
    assert.ok(fs.readFileSync(source.fsPath).equals(before), 'the source is unchanged');
    const again = (await vscode.commands.executeCommand('bertTune.predictCsvColumn', source, { textCol: 'text', probabilities: false })) as string;
    assert.match(again, /sst2-dev-200\.predictions-2\.csv$/);
    fs.rmSync(out);
    fs.rmSync(again);
  });

  it("evaluates the model on a labelled file: the CLI eval's numbers, shown in an evaluation panel with what was skipped", async () => {
    const file = vscode.Uri.joinPath(workspaceRoot(), 'labelled-ab.csv');
    const rows = Array.from({ length: 60 }, (_, i) => `${['a fine film', 'a dull film', 'so so', 'loved it'][i % 4]} number ${i},${i % 3 ? 'a' : 'b'}`);
    fs.writeFileSync(file.fsPath, ['text,label', ...rows, 'no label,'].join('\n') + '\n');
    try {
      const shown = (await vscode.commands.executeCommand('bertTune.evaluateFile', file, { textCol: 'text', labelCol: 'label' })) as Evaluated | undefined;
      assert.ok(shown, 'an evaluation');
      assert.equal(shown.evaluation.rows, 60);
      assert.equal(shown.evaluation.skipped, 1);
      assert.deepEqual(shown.evaluation.labels, ['a', 'b']);
      const cli = JSON.parse(
        execFileSync(process.execPath, [api.ctx.trainerJs, 'eval', '--model', model, '--data', file.fsPath, '--text-col', 'text', '--label-col', 'label'], {
          env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
          encoding: 'utf8',
        }),
      );
      assert.ok(Math.abs(cli.accuracy - shown.evaluation.accuracy!) < 1e-9);
      assert.deepEqual(cli.confusion, shown.evaluation.confusion);
      const panels = api.ctx.evaluationPanels.shown();
      assert.equal(panels.length, 1);
      assert.equal(panels[0].file, file.fsPath);
      assert.match(panels[0].evaluation.warnings.join(' '), /line 62/);
    } finally {
      api.ctx.evaluationPanels.dispose();
      fs.rmSync(file.fsPath, { force: true });
    }
  });

  it("predicts and evaluates a pair run's model on both its texts, as the run trained it, without asking", async () => {
    const root = workspaceRoot().fsPath;
    const runDir = path.join(root, RUNS_FOLDER, '20261207-000000-pairs');
    const best = path.join(runDir, RUN_FILES.checkpoints, 'best');
    const data = path.join(root, 'pairs-news.csv');
    const titles = ['markets rally on rate hopes', 'team wins the final', 'new chip doubles speed', 'talks stall over trade'];
    const bodies = [
      'stocks rose sharply as investors bet on a cut',
      'a late goal settled a tense match',
      'the maker says the design halves power',
      'negotiators left without a deal on tariffs',
    ];
    fs.writeFileSync(data, ['label,title,description', ...titles.map((t, i) => `${i % 2 ? 'a' : 'b'},${t},${bodies[i]}`)].join('\n') + '\n');
    fs.cpSync(model, best, { recursive: true });
    fs.writeFileSync(
      path.join(runDir, RUN_FILES.config),
      runConfigText({ ...TRAIN_DEFAULTS, data, textCol: 'title', pairCol: 'description', labelCol: 'label', model, out: runDir }),
    );
    try {
      await vscode.commands.executeCommand('bertTune.setActiveModel', { ref: best, name: 'pairs' });
      // no textCol, no pairCol: the run's own
      const out = (await vscode.commands.executeCommand('bertTune.predictCsvColumn', vscode.Uri.file(data), { probabilities: false })) as string;
      const ours = (parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[]).map(r => Number(r.confidence));
      const cli = (pair: boolean) =>
        execFileSync(
          process.execPath,
          [api.ctx.trainerJs, 'predict', '--model', best, '--data', data, '--text-col', 'title', ...(pair ? ['--text-pair-col', 'description'] : [])],
          { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' },
        )
          .trim()
          .split('\n')
          .map(l => JSON.parse(l).confidence as number);
      const withPairs = cli(true);
      ours.forEach((c, i) => assert.ok(Math.abs(c - withPairs[i]) < 1e-6, `row ${i}: ${c} against ${withPairs[i]}`));
      assert.ok(
        cli(false).some((c, i) => Math.abs(c - withPairs[i]) > 1e-6),
        'one text alone answers otherwise',
      );
      fs.rmSync(out);

      const shown = (await vscode.commands.executeCommand('bertTune.evaluateFile', vscode.Uri.file(data), {})) as Evaluated | undefined;
      assert.ok(shown);
      assert.equal(shown.pairCol, 'description');
      const evaluated = JSON.parse(
        execFileSync(
          process.execPath,
          [api.ctx.trainerJs, 'eval', '--model', best, '--data', data, '--text-col', 'title', '--text-pair-col', 'description', '--label-col', 'label'],
          { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' },
        ),
      );
      assert.ok(Math.abs(evaluated.loss - shown.evaluation.loss) < 1e-6);
    } finally {
      api.ctx.evaluationPanels.dispose();
      await vscode.commands.executeCommand('bertTune.setActiveModel', { ref: model, name: 'tiny' });
      fs.rmSync(runDir, { recursive: true, force: true });
      fs.rmSync(data, { force: true });
    }
  });

  it('stops the inference process when the extension goes away', async () => {
    await vscode.commands.executeCommand('bertTune.predictSelection');
    const pid = api.ctx.inference.pid;
    assert.ok(pid, 'the inference process runs');
    api.ctx.inference.dispose();
    await waitFor('the inference process to exit', () => {
      try {
        process.kill(pid!, 0);
        return false;
      } catch {
        return true;
      }
    });
  });
});
