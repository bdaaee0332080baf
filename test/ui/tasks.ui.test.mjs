// UI test: the other tasks as a person meets them in the workbench. A multi-label file of 0/1
// columns (the Jigsaw layout): the wizard offers "Several 0/1 columns", proposes multi-label,
// trains, and a selection gets the labels over their thresholds inline, every label on hover.
// A file of scores: the wizard proposes regression, trains, and the metrics panel draws
// predicted against true, where a point opens its row.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startWorkbench } from '../vscode/codeServer.mjs';
import {
  acceptQuickPick,
  activeWebview,
  clickDialogButton,
  clickMenuItem,
  explorerContextMenu,
  hoverEditorWord,
  makeTinyModel,
  openWorkbench,
  pickQuickItem,
  predictTypedText,
  removeTinyModel,
  runsPane,
  runCommand,
  screenshot,
  waitForQuickPick,
  withFailureScreenshot,
} from './workbench.mjs';

const WORDS = ['good', 'bad', 'great', 'awful', 'fine', 'boring', 'fun', 'sad', 'happy', 'dull'];

/** 120 rows whose labels and score follow their words: something for a tiny model to learn. */
function rows() {
  return Array.from({ length: 120 }, (_, i) => {
    const a = WORDS[i % 10];
    const b = WORDS[(i * 7 + Math.floor(i / 10)) % 10];
    return {
      text: `${a} and ${b} film number ${i}`,
      toxic: +['bad', 'awful', 'sad'].includes(a),
      insult: +['dull', 'boring'].includes(b),
      score: WORDS.indexOf(a) / 3 + (i % 4) * 0.05,
    };
  });
}

describe('Multi-label and regression, in the workbench', () => {
  let wb;
  let model;

  before(async () => {
    model = makeTinyModel('tiny', ['a', 'b']);
    wb = await startWorkbench({
      name: 'ui-tasks',
      settings: {
        'bertTune.defaultBaseModel': model,
        'bertTune.training.epochs': 2,
        'bertTune.training.batchSize': 16,
        'bertTune.training.learningRate': 0.001,
      },
    });
    // Written before the workbench opens: the Explorer and the Datasets view list them from the start.
    fs.writeFileSync(
      path.join(wb.workspace, 'comments-tags.csv'),
      ['text,toxic,insult', ...rows().map(r => `${r.text},${r.toxic},${r.insult}`)].join('\n') + '\n',
    );
    fs.writeFileSync(path.join(wb.workspace, 'film-scores.csv'), ['text,score', ...rows().map(r => `${r.text},${r.score}`)].join('\n') + '\n');
    await openWorkbench(wb.page, wb.url);
  });
  after(async () => {
    await wb?.close();
    removeTinyModel(model);
  });

  /** The wizard up to its settings step (from the Explorer's menu, else the palette), the label step answered by `label`; the settings' Task row. */
  async function wizard(page, file, label, fromExplorer) {
    if (fromExplorer) await explorerContextMenu(page, file, 'Fine-tune on this CSV');
    else {
      await runCommand(page, 'BERT Tune: Fine-tune on this CSV');
      await pickQuickItem(page, file);
    }
    await waitForQuickPick(page, 'Which column holds the text');
    await acceptQuickPick(page);
    await waitForQuickPick(page, 'second text column');
    await acceptQuickPick(page);
    await waitForQuickPick(page, 'holds the labels');
    await label();
    await waitForQuickPick(page, 'Which model to start from');
    await acceptQuickPick(page);
    await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
    return page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Task' }).locator('.label-description').innerText();
  }

  it('multi-label from 0/1 columns: proposed, trained, and a selection predicted with its labels inline and every label on hover', () =>
    withFailureScreenshot(wb.page, 'tasks-multi-label', async () => {
      const { page } = wb;
      const task = await wizard(
        page,
        'comments-tags.csv',
        async () => {
          await pickQuickItem(page, 'Several 0/1 columns');
          await waitForQuickPick(page, 'Which 0/1 columns are the labels');
          console.log(`screenshot: ${await screenshot(page, 'tasks-1-columns')}`);
          await acceptQuickPick(page); // both, as pre-picked
        },
        true,
      );
      assert.equal(task.trim(), 'multi_label_classification');
      console.log(`screenshot: ${await screenshot(page, 'tasks-2-settings')}`);
      await acceptQuickPick(page);
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'Task: multi-label classification' });
      await dialog.waitFor({ timeout: 60_000 });
      assert.match(await dialog.innerText(), /Rows with each label: toxic: \d+/);
      await clickDialogButton(page, 'Start');
      const pane = await runsPane(page);
      const done = pane.locator('.monaco-list-row', { hasText: /done · best micro-F1 \d+\.\d%/ }).first();
      await done.waitFor({ timeout: 180_000 });
      await done.click({ button: 'right' });
      await clickMenuItem(page, 'Use for Predictions');

      const label = await predictTypedText(page, 'awful and dull film', /((toxic|insult) \d+%|no label)/);
      assert.match(label, /^"(((toxic|insult) \d+%(, )?)+|no label)"$/);
      console.log(`screenshot: ${await screenshot(page, 'tasks-3-inline')}`);
      await hoverEditorWord(page, 'awful');
      const hover = page.locator('.monaco-hover', { hasText: 'BERT Tune' }).first();
      await hover.waitFor({ timeout: 20_000 });
      const text = await hover.innerText();
      assert.match(text, /threshold/);
      assert.match(text, /toxic\s+\d+\.\d%\s+\d+%/);
      assert.match(text, /insult\s+\d+\.\d%\s+\d+%/);
      console.log(`screenshot: ${await screenshot(page, 'tasks-4-hover')}`);
    }));

  it('regression from a column of scores: proposed, trained, and the metrics panel plots predicted against true, a point opening its row', () =>
    withFailureScreenshot(wb.page, 'tasks-regression', async () => {
      const { page } = wb;
      const task = await wizard(page, 'film-scores.csv', () => pickQuickItem(page, 'score'), false);
      assert.equal(task.trim(), 'regression');
      // The regression's own setting, and the CLI's other knobs behind "More settings…".
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'learn the target standardised' }).waitFor();
      await pickQuickItem(page, 'More settings');
      // The list is virtual: the first of the added rows is the one rendered below Seed.
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Evaluate every N steps' }).waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'More settings' }).count(), 0);
      await acceptQuickPick(page);
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'Task: regression' });
      await dialog.waitFor({ timeout: 60_000 });
      await clickDialogButton(page, 'Start');
      const pane = await runsPane(page);
      const done = pane.locator('.monaco-list-row', { hasText: /done · best R² -?\d+\.\d+/ }).first();
      await done.waitFor({ timeout: 180_000 });
      // Its inline "Show training metrics" action opens its metrics panel.
      await done.hover();
      await done.locator('.action-label[aria-label^="Show training metrics"]').click();
      const view = activeWebview(page);
      const points = view.locator('#per-class svg.scatter circle');
      await points.first().waitFor({ timeout: 30_000 });
      assert.ok((await points.count()) >= 20, 'a point for every validation row');
      assert.equal(await view.locator('#matrix-title').innerText(), 'Residuals');
      assert.ok((await view.locator('#confusion svg.residuals rect').count()) > 0);
      console.log(`screenshot: ${await screenshot(page, 'tasks-5-scatter')}`);
      const line = await points.first().evaluate(c => {
        c.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        return Number(c.getAttribute('data-line'));
      });
      await page.locator('.tab', { hasText: 'film-scores.csv' }).first().waitFor({ timeout: 15_000 });
      await page
        .locator('.statusbar-item', { hasText: `Ln ${line},` })
        .first()
        .waitFor({ timeout: 10_000 });
    }));
});
