// UI test: fine-tuning as a person does it, in the real workbench: right-click a CSV in the
// Explorer, answer the questions with their pre-selected defaults, confirm the estimate, watch
// the run finish in the Runs view; stop a run and resume it; see a malformed CSV refused.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startWorkbench } from '../vscode/codeServer.mjs';
import {
  acceptQuickPick,
  activeWebview,
  clickDialogButton,
  clickMenuItem,
  explorerContextMenu,
  openWorkbench,
  runCommand,
  pickQuickItem,
  screenshot,
  waitForQuickPick,
  makeTinyModel,
  removeTinyModel,
  runsPane,
  withFailureScreenshot,
} from './workbench.mjs';

describe('Fine-tune on this CSV, in the workbench', () => {
  let wb;
  let model;

  before(async () => {
    // A tiny random BERT stands in for a Hub model: no network here.
    model = makeTinyModel('tiny', ['a', 'b']);
    wb = await startWorkbench({
      name: 'ui-finetune',
      settings: {
        'bertTune.defaultBaseModel': model,
        'bertTune.training.epochs': 2,
        'bertTune.training.batchSize': 16,
        // No learning rate: as a new user has it (package.json's default), which from scratch must not take for a choice.
        // Offline, deterministically: a refused port and an empty cache (the last test's Hub model).
        'bertTune.hub.endpoint': 'http://127.0.0.1:45999',
        'bertTune.hub.cacheFolder': fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-ui-hub-')),
      },
    });
    await openWorkbench(wb.page, wb.url);
  });
  after(async () => {
    await wb?.close();
    removeTinyModel(model);
  });

  it('trains from the Explorer context menu with the defaults, and the Runs view shows it done with its accuracy', () =>
    withFailureScreenshot(wb.page, 'trains-from-the-explorer-context-menu-wi', async () => {
      const { page } = wb;
      await explorerContextMenu(page, 'sst2-dev-200.tsv', 'Fine-tune on this CSV');
      await waitForQuickPick(page, 'Which column holds the text');
      console.log(`screenshot: ${await screenshot(page, 'finetune-1-text-column')}`);
      await acceptQuickPick(page); // text: pre-selected "text"
      await waitForQuickPick(page, 'second text column');
      await acceptQuickPick(page); // pair: (none)
      await waitForQuickPick(page, 'holds the labels');
      console.log(`screenshot: ${await screenshot(page, 'finetune-2-label-column')}`);
      await acceptQuickPick(page); // label: pre-selected "label"
      await waitForQuickPick(page, 'Which model to start from');
      await acceptQuickPick(page); // the default model from the settings
      await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
      console.log(`screenshot: ${await screenshot(page, 'finetune-3-settings')}`);
      await acceptQuickPick(page); // start with the defaults
      await page.locator('.monaco-dialog-box', { hasText: 'Labels:' }).waitFor({ timeout: 60_000 });
      const estimate = await page.locator('.monaco-dialog-box').innerText();
      assert.match(estimate, /160 training rows, 40 validation rows/);
      assert.match(estimate, /about \d+/);
      console.log(`screenshot: ${await screenshot(page, 'finetune-4-estimate')}`);
      await clickDialogButton(page, 'Start');
      const pane = await runsPane(page);
      await pane
        .locator('.monaco-list-row', { hasText: /done · best accuracy \d+\.\d%/ })
        .first()
        .waitFor({ timeout: 120_000 });
      console.log(`screenshot: ${await screenshot(page, 'finetune-5-done')}`);
    }));

  it('stops a run from the status bar, lists it as stopped, and resumes it to completion', () =>
    withFailureScreenshot(wb.page, 'stops-a-run-from-the-status-bar-lists-it', async () => {
      const { page } = wb;
      await runCommand(page, 'BERT Tune: Fine-tune on this CSV');
      await pickQuickItem(page, 'sst2-dev-200.tsv');
      for (const step of ['Which column holds the text', 'second text column', 'holds the labels', 'Which model']) {
        await waitForQuickPick(page, step);
        await acceptQuickPick(page);
      }
      await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
      await pickQuickItem(page, 'Epochs');
      const input = page.locator('.quick-input-widget input');
      await page
        .locator('.quick-input-widget .quick-input-message, .quick-input-widget .quick-input-description', { hasText: 'Epochs' })
        .first()
        .waitFor()
        .catch(() => {});
      await input.fill('40');
      await page.keyboard.press('Enter');
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: 'Epochs' })
        .locator('.label-description', { hasText: '40' })
        .waitFor({ timeout: 10_000 });
      await acceptQuickPick(page);
      await clickDialogButton(page, 'Start');
      const stop = page.locator('.statusbar-item', { has: page.locator('.codicon-debug-stop') }).first();
      await page
        .locator('.statusbar-item', { hasText: /BERT Tune: epoch/ })
        .first()
        .waitFor({ timeout: 60_000 });
      console.log(`screenshot: ${await screenshot(page, 'stop-1-training')}`);
      await stop.click();
      const pane = await runsPane(page);
      const stoppedRow = pane.locator('.monaco-list-row', { hasText: /stopped/ }).first();
      await stoppedRow.waitFor({ timeout: 60_000 });
      console.log(`screenshot: ${await screenshot(page, 'stop-2-stopped')}`);
      await stoppedRow.click({ button: 'right' });
      await clickMenuItem(page, 'Resume Run');
      await pane
        .locator('.monaco-list-row', { hasText: /done · best accuracy/ })
        .nth(1)
        .waitFor({ timeout: 300_000 });
      assert.equal(await pane.locator('.monaco-list-row', { hasText: /stopped/ }).count(), 0);
      console.log(`screenshot: ${await screenshot(page, 'stop-3-resumed-done')}`);
    }));

  it('refuses a malformed CSV with an error that names the row', () =>
    withFailureScreenshot(wb.page, 'refuses-a-malformed-csv-with-an-error-th', async () => {
      const { page } = wb;
      await runCommand(page, 'Notifications: Clear All Notifications');
      await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'bad' }).first().click();
      await explorerContextMenu(page, 'unclosed-quote.csv', 'Fine-tune on this CSV');
      const toast = page.locator('.notification-toast', { hasText: 'Cannot fine-tune on unclosed-quote.csv' }).first();
      await toast.waitFor({ timeout: 30_000 });
      assert.match(await toast.innerText(), /line 2/);
      await page.waitForTimeout(800); // let the toast finish sliding in before the screenshot
      console.log(`screenshot: ${await screenshot(page, 'malformed-csv')}`);
    }));

  it('remembers a from-scratch start and its size the next time, and a run cancelled at its estimate leaves nothing behind', () =>
    withFailureScreenshot(wb.page, 'remembers-a-from-scratch-start', async () => {
      const { page } = wb;
      const runsFolder = path.join(wb.workspace, '.bert-tune', 'runs');
      const foldersBefore = fs.readdirSync(runsFolder).sort();
      const pane = await runsPane(page);
      const rowsBefore = await pane.locator('.monaco-list-row').count();
      const walkToModel = async () => {
        await runCommand(page, 'BERT Tune: Fine-tune on this CSV');
        // The file picker says what the Datasets view knows of each file.
        await page.locator('.quick-input-list .monaco-list-row', { hasText: '200 rows · 2 columns' }).first().waitFor({ timeout: 10_000 });
        await pickQuickItem(page, 'sst2-dev-200.tsv');
        for (const step of ['Which column holds the text', 'second text column', 'holds the labels']) {
          await waitForQuickPick(page, step);
          await acceptQuickPick(page);
        }
        await waitForQuickPick(page, 'Which model');
      };
      await walkToModel();
      await pickQuickItem(page, 'From scratch');
      await waitForQuickPick(page, 'Model size');
      assert.match(await page.locator('.quick-input-widget').innerText(), /4\/5/, 'the size step keeps the step counter');
      await pickQuickItem(page, 'mini (4 layers');
      await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
      await acceptQuickPick(page);
      await page.locator('.monaco-dialog-box', { hasText: 'Labels:' }).waitFor({ timeout: 120_000 });
      // While the user decides: no run folder, no Runs row, no progress notification.
      assert.deepEqual(
        fs.readdirSync(runsFolder).filter(n => !foldersBefore.includes(n) && fs.existsSync(path.join(runsFolder, n, 'train-config.json'))),
        [],
      );
      assert.equal(await page.locator('.notification-toast', { hasText: 'Training' }).count(), 0);
      await clickDialogButton(page, 'Cancel');
      await page
        .locator('.statusbar-item', { hasText: /BERT Tune: (preparing|waiting)/ })
        .first()
        .waitFor({ state: 'hidden', timeout: 30_000 });
      await page.waitForTimeout(1500); // the Runs view refreshes at most twice a second
      assert.deepEqual(fs.readdirSync(runsFolder).sort(), foldersBefore, 'the cancelled run left a folder');
      assert.equal(await pane.locator('.monaco-list-row').count(), rowsBefore, 'the cancelled run left a row in the Runs view');

      // The second walk on the same file pre-selects what the first chose.
      await walkToModel();
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'From scratch' }).waitFor({ timeout: 10_000 });
      console.log(`screenshot: ${await screenshot(page, 'remembered-from-scratch')}`);
      await acceptQuickPick(page);
      await waitForQuickPick(page, 'Model size');
      await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: 'mini (4 layers' }).waitFor({ timeout: 10_000 });

      // From scratch trains at 5e-4 (the setting is at its default, which must not pass for a
      // choice): the rate that reaches the run's train-config.json.
      await acceptQuickPick(page);
      await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
      await acceptQuickPick(page);
      await page.locator('.monaco-dialog-box', { hasText: 'Labels:' }).waitFor({ timeout: 120_000 });
      await clickDialogButton(page, 'Start');
      const started = () => fs.readdirSync(runsFolder).filter(n => !foldersBefore.includes(n) && fs.existsSync(path.join(runsFolder, n, 'train-config.json')));
      for (let i = 0; i < 600 && !started().length; i++) await page.waitForTimeout(100);
      assert.equal(started().length, 1, 'the run started');
      const config = JSON.parse(fs.readFileSync(path.join(runsFolder, started()[0], 'train-config.json'), 'utf8'));
      assert.equal(config.learningRate, 5e-4);
      await runCommand(page, 'BERT Tune: Stop training');
      await page
        .locator('.statusbar-item', { hasText: /BERT Tune: (preparing|waiting|epoch)/ })
        .first()
        .waitFor({ state: 'hidden', timeout: 120_000 });
      // The run ends as stopped, and the Runs view says so before the next walk starts.
      await (
        await runsPane(page)
      )
        .locator('.monaco-list-row', { hasText: /from scratch.*stopped/ })
        .first()
        .waitFor({ timeout: 60_000 });
      console.log(`screenshot: ${await screenshot(page, 'from-scratch-stopped')}`);
    }));

  it('says before training that a Hub model is neither downloaded nor reachable, and offers the ways out', () =>
    withFailureScreenshot(wb.page, 'offline-hub-model', async () => {
      const { page } = wb;
      // (a command, not the activity bar: clicking Explorer while it shows hides it)
      await runCommand(page, 'View: Show Explorer');
      await explorerContextMenu(page, 'sst2-dev-200.tsv', 'Fine-tune on this CSV');
      for (const step of ['Which column holds the text', 'second text column', 'holds the labels']) {
        await waitForQuickPick(page, step);
        await acceptQuickPick(page);
      }
      await waitForQuickPick(page, 'Which model');
      await pickQuickItem(page, 'bert-tiny');
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'is not downloaded' });
      await dialog.waitFor({ timeout: 30_000 });
      const text = await dialog.innerText();
      assert.match(text, /google\/bert_uncased_L-2_H-128_A-2 is not downloaded, and http:\/\/127\.0\.0\.1:45999 cannot be reached \([A-Za-z ]+\)/);
      assert.match(text, /bertTune\.hub\.endpoint/);
      for (const button of ['Choose Local Folder…', 'Train From Scratch…', 'Open Settings', 'Retry']) {
        assert.equal(await dialog.locator('.monaco-button', { hasText: button }).count(), 1, button);
      }
      console.log(`screenshot: ${await screenshot(page, 'offline-hub-model')}`);
      await clickDialogButton(page, 'Train From Scratch…');
      await waitForQuickPick(page, 'Model size');
      await page.keyboard.press('Escape');
    }));

  it('names the rows a messy file loses before training, and Show Lines lists them in the Problems panel at their lines', () =>
    withFailureScreenshot(wb.page, 'messy-file', async () => {
      const { page } = wb;
      // Line 4: no label; 5 and 9: cells that do not line up; 7 and 8: one text, two labels.
      const lines = ['text,label', 'a good film,a', 'a bad film,b', 'no label here,', 'hello, world,b', 'fine work,a', 'same words,a', 'same words,b', 'short'];
      for (let i = 0; i < 24; i++) lines.push(`${i % 2 ? 'dull' : 'bright'} review number ${i},${i % 2 ? 'b' : 'a'}`);
      fs.writeFileSync(path.join(wb.workspace, 'messy-reviews.csv'), lines.join('\n') + '\n');
      await runCommand(page, 'View: Show Explorer');
      await explorerContextMenu(page, 'messy-reviews.csv', 'Fine-tune on this CSV');
      for (const step of ['Which column holds the text', 'second text column', 'holds the labels', 'Which model to start from']) {
        await waitForQuickPick(page, step);
        await acceptQuickPick(page);
      }
      await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
      await acceptQuickPick(page);
      const dialog = page.locator('.monaco-dialog-box', { hasText: 'Labels:' });
      await dialog.waitFor({ timeout: 60_000 });
      const text = await dialog.innerText();
      assert.match(text, /Skipped 2 rows whose cells do not line up with the header's 2 columns \(lines 5, 9\)/);
      assert.match(text, /Skipped 1 row with an empty text or label \(line 4\)/);
      assert.match(text, /1 text has more than one label, on 2 rows \(lines 7, 8\)/);
      assert.match(text, /Lengths: ≤ \d+ tokens \d+%/);
      console.log(`screenshot: ${await screenshot(page, 'messy-file-estimate')}`);
      await clickDialogButton(page, 'Show Lines');

      // The file opens at the first line; the Problems panel lists every line; the run waits for Start or Cancel.
      await page.locator('.tab.active', { hasText: 'messy-reviews.csv' }).waitFor({ timeout: 15_000 });
      await page.locator('.statusbar-item', { hasText: 'Ln 5, Col 1' }).first().waitFor({ timeout: 15_000 });
      const problems = page.locator('.markers-panel');
      await problems.locator('.monaco-list-row', { hasText: 'Skipped: its cells do not line up with the header' }).first().waitFor({ timeout: 15_000 });
      const listed = await problems.innerText();
      for (const line of [4, 5, 7, 8, 9]) assert.match(listed, new RegExp(`\\[Ln ${line}, Col 1\\]`), `line ${line} in the Problems panel`);
      console.log(`screenshot: ${await screenshot(page, 'messy-file-problems')}`);
      const waiting = page.locator('.notification-toast', { hasText: 'the lines are listed in the Problems panel. Start anyway?' });
      await waiting.waitFor({ timeout: 15_000 });
      await waiting.locator('.monaco-button', { hasText: 'Cancel' }).click();
      await page
        .locator('.statusbar-item', { hasText: /BERT Tune: (preparing|waiting)/ })
        .first()
        .waitFor({ state: 'hidden', timeout: 30_000 });

      // The dataset summary lists the row with no label too (the label balance cannot show it).
      await runCommand(page, 'BERT Tune: Show Dataset Summary');
      const view = activeWebview(page);
      await view.locator('h1#title', { hasText: 'messy-reviews.csv' }).waitFor({ timeout: 30_000 });
      const summary = await view.locator('#problems').innerText();
      assert.match(summary, /1 row has no label in "label" \(line 4\)/);
      assert.match(summary, /2 rows have a different number of columns than the header \(2\): lines 5, 9/);
      assert.match(summary, /1 text in "text" has more than one label in "label", on 2 rows \(lines 7, 8\)/);
      assert.match(await view.locator('#text-lengths').innerText(), /≤ 16 words/);
      console.log(`screenshot: ${await screenshot(page, 'messy-file-summary')}`);
    }));

  it('offers to merge labels that differ only in case, and the run then reads them as one', () =>
    withFailureScreenshot(wb.page, 'merge-label-variants', async () => {
      const { page } = wb;
      const labels = i => (i % 7 === 3 ? 'A' : i % 7 === 5 ? 'B' : i % 2 ? 'b' : 'a');
      const lines = ['text,label', ...Array.from({ length: 40 }, (_, i) => `${i % 2 ? 'dull' : 'bright'} film number ${i},${labels(i)}`)];
      fs.writeFileSync(path.join(wb.workspace, 'cased-labels.csv'), lines.join('\n') + '\n');
      await runCommand(page, 'View: Show Explorer');
      await explorerContextMenu(page, 'cased-labels.csv', 'Fine-tune on this CSV');
      for (const step of ['Which column holds the text', 'second text column', 'holds the labels', 'Which model to start from']) {
        await waitForQuickPick(page, step);
        await acceptQuickPick(page);
      }
      await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
      await acceptQuickPick(page);
      const first = page.locator('.monaco-dialog-box', { hasText: 'Labels:' });
      await first.waitFor({ timeout: 60_000 });
      assert.match(await first.innerText(), /differ only in case or in how a number is written, and train as 4 classes instead of 2/);
      console.log(`screenshot: ${await screenshot(page, 'merge-label-variants-1')}`);
      await clickDialogButton(page, 'Merge Label Variants');
      // The same run again, its labels read merged: two classes, and nothing more to merge.
      const second = page.locator('.monaco-dialog-box', { hasText: 'Labels:' });
      await second.filter({ hasNotText: 'differ only in case' }).waitFor({ timeout: 60_000 });
      const merged = await second.innerText();
      assert.match(merged, /Labels: a: \d+ \(\d+%\), b: \d+ \(\d+%\)\./);
      assert.equal(await second.locator('.monaco-button', { hasText: 'Merge Label Variants' }).count(), 0);
      console.log(`screenshot: ${await screenshot(page, 'merge-label-variants-2')}`);
      await clickDialogButton(page, 'Cancel');
      await page
        .locator('.statusbar-item', { hasText: /BERT Tune: (preparing|waiting)/ })
        .first()
        .waitFor({ state: 'hidden', timeout: 30_000 });
    }));

  it('goes Back a step and back again, each step showing the answer given there', () =>
    withFailureScreenshot(wb.page, 'wizard-back', async () => {
      const { page } = wb;
      const back = () => page.locator('.quick-input-widget .quick-input-left-action-bar .codicon-quick-input-back').first().click();
      const focused = text => page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text }).first().waitFor({ timeout: 10_000 });
      await runCommand(page, 'View: Show Explorer');
      await explorerContextMenu(page, 'mrpc-test-100.tsv', 'Fine-tune on this CSV');
      await waitForQuickPick(page, 'Which column holds the text');
      // The first step has no Back.
      assert.equal(await page.locator('.quick-input-widget .quick-input-left-action-bar .codicon-quick-input-back').count(), 0);
      await pickQuickItem(page, '#2 String');
      await waitForQuickPick(page, 'second text column');
      await pickQuickItem(page, '#1 String');
      await waitForQuickPick(page, 'holds the labels');
      await back();
      await waitForQuickPick(page, 'second text column');
      await focused('#1 String');
      await back();
      await waitForQuickPick(page, 'Which column holds the text');
      await focused('#2 String');
      await acceptQuickPick(page);
      await waitForQuickPick(page, 'second text column');
      await focused('#1 String');
      await acceptQuickPick(page);
      await waitForQuickPick(page, 'holds the labels');
      await acceptQuickPick(page);
      await waitForQuickPick(page, 'Which model');
      await back();
      await waitForQuickPick(page, 'holds the labels');
      console.log(`screenshot: ${await screenshot(page, 'wizard-back')}`);
      await page.keyboard.press('Escape');
    }));
});
