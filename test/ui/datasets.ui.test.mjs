// UI test: a person opens BERT Tune's activity-bar container, reads the Datasets view, expands a
// dataset, and opens its summary panel from the command palette.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorkbench } from '../vscode/codeServer.mjs';
import { activeWebview, openViewPane, openWorkbench, pickQuickItem, runCommand, screenshot, withFailureScreenshot } from './workbench.mjs';

describe('Datasets view in the workbench', () => {
  let wb;
  const consoleErrors = [];

  before(async () => {
    wb = await startWorkbench({ name: 'ui-datasets' });
    wb.page.on('console', m => {
      if (/Content Security Policy|Refused to/i.test(m.text())) consoleErrors.push(m.text());
    });
    await openWorkbench(wb.page, wb.url);
  });
  after(async () => wb?.close());

  it('shows the dataset files with their rows and delimiter', () =>
    withFailureScreenshot(wb.page, 'shows-the-dataset-files-with-their-rows', async () => {
      const { page } = wb;
      await page.locator('.activitybar .action-item a[aria-label^="BERT Tune"]').click();
      const pane = await openViewPane(page, 'Datasets');
      for (const name of ['sst2-dev-200.tsv', 'chnsenticorp-200.csv', 'mrpc-test-100.tsv']) {
        await pane.locator('.monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
      }
      const sst = pane.locator('.monaco-list-row', { hasText: 'sst2-dev-200.tsv' }).first();
      await sst.locator('.label-description', { hasText: '200 rows · tab' }).waitFor({ timeout: 30_000 });
      await pane.locator('.monaco-list-row', { hasText: 'chnsenticorp-200.csv' }).locator('.label-description', { hasText: '200 rows · comma' }).waitFor();
      assert.ok(!(await pane.locator('.monaco-list-row', { hasText: 'hidden.csv' }).count()), 'files.exclude hides excluded/hidden.csv');
      await sst.click();
      await page.keyboard.press('ArrowRight'); // expand
      await pane.locator('.monaco-list-row', { hasText: 'likely text' }).first().waitFor({ timeout: 10_000 });
      await pane.locator('.monaco-list-row', { hasText: 'likely label · 2 classes' }).first().waitFor({ timeout: 10_000 });
      console.log(`screenshot: ${await screenshot(page, 'datasets-view')}`);
    }));

  it('opens the summary of the active dataset from the command palette', () =>
    withFailureScreenshot(wb.page, 'opens-the-summary-of-the-active-dataset', async () => {
      const { page } = wb;
      // clicking the row above opened sst2-dev-200.tsv in an editor: the command takes that file
      await page.locator('.tab', { hasText: 'sst2-dev-200.tsv' }).first().waitFor({ timeout: 15_000 });
      await runCommand(page, 'BERT Tune: Show Dataset Summary');
      const view = activeWebview(page);
      await view.locator('h1#title', { hasText: 'sst2-dev-200.tsv' }).waitFor({ timeout: 30_000 });
      assert.match(await view.locator('#shape').innerText(), /200 rows · 2 columns · tab-separated · header row/);
      assert.equal(await view.locator('#label-balance li').count(), 2);
      assert.equal(await view.locator('vscode-table-row[data-column]').count(), 2);
      console.log(`screenshot: ${await screenshot(page, 'dataset-summary')}`);
    }));

  it('asks which dataset when no dataset is open, and shows its problems', () =>
    withFailureScreenshot(wb.page, 'asks-which-dataset-when-no-dataset-is-op', async () => {
      const { page } = wb;
      await runCommand(page, 'View: Close All Editors');
      await page.locator('.tab').first().waitFor({ state: 'detached', timeout: 10_000 });
      await runCommand(page, 'BERT Tune: Show Dataset Summary');
      await pickQuickItem(page, 'unclosed-quote.csv');
      const view = activeWebview(page);
      await view.locator('h1#title', { hasText: 'bad/unclosed-quote.csv' }).waitFor({ timeout: 30_000 });
      assert.match(await view.locator('#problems').innerText(), /line 2/);
      await view.locator('#problems vscode-button', { hasText: 'Go to line 2' }).click();
      await page.locator('.tab', { hasText: 'unclosed-quote.csv' }).first().waitFor({ timeout: 15_000 });
      console.log(`screenshot: ${await screenshot(page, 'dataset-summary-problems')}`);
      assert.deepEqual(consoleErrors, [], 'no Content Security Policy violations');
    }));
});
