// UI test: the metrics panel of a live run: the loss curve grows, the per-class table and the
// confusion matrix appear after an evaluation, a cell lists its rows, Stop stops the run.
// Screenshots in a light and a dark theme.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorkbench } from '../vscode/codeServer.mjs';
import {
  acceptQuickPick,
  activeWebview,
  clickDialogButton,
  explorerContextMenu,
  openWorkbench,
  pickQuickItem,
  runCommand,
  screenshot,
  waitForQuickPick,
  makeTinyModel,
  removeTinyModel,
  withFailureScreenshot,
} from './workbench.mjs';

describe('Metrics panel of a live run', () => {
  let wb;
  let model;
  const cspErrors = [];

  before(async () => {
    model = makeTinyModel('tiny', ['a', 'b']);
    wb = await startWorkbench({
      name: 'ui-metrics',
      settings: {
        'bertTune.defaultBaseModel': model,
        'bertTune.training.epochs': 400,
        'bertTune.training.batchSize': 16,
        'workbench.colorTheme': 'Default Light Modern',
      },
    });
    wb.page.on('console', m => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    await openWorkbench(wb.page, wb.url);
  });
  after(async () => {
    await wb?.close();
    removeTinyModel(model);
  });

  it("shows growing curves, per-class results and the confusion matrix, lists a cell's rows, and stops the run", () =>
    withFailureScreenshot(wb.page, 'metrics-panel', async () => {
      const { page } = wb;
      await explorerContextMenu(page, 'sst2-dev-200.tsv', 'Fine-tune on this CSV');
      for (const step of ['Which column holds the text', 'second text column', 'holds the labels', 'Which model']) {
        await waitForQuickPick(page, step);
        await acceptQuickPick(page);
      }
      await page.locator('.quick-input-widget', { hasText: 'Start training' }).waitFor();
      await acceptQuickPick(page);
      await clickDialogButton(page, 'Start');
      const status = page.locator('.statusbar-item', { hasText: /BERT Tune: epoch/ }).first();
      await status.waitFor({ timeout: 60_000 });
      await status.click(); // opens the run's metrics panel

      const view = activeWebview(page);
      const chart = view.locator('#loss-chart');
      await chart.locator('canvas').waitFor({ timeout: 30_000 });
      const points = async () => Number(await chart.getAttribute('data-points'));
      const first = await points();
      await page.waitForTimeout(2000);
      const later = await points();
      assert.ok(later > first, `the loss curve grew from ${first} to ${later} points`);

      await view.locator('#per-class vscode-table-row').nth(1).waitFor({ timeout: 60_000 });
      assert.deepEqual(await view.locator('#per-class vscode-table-row').evaluateAll(rows => rows.map(r => r.getAttribute('data-label'))), ['0', '1']);
      assert.equal(await view.locator('#confusion button.cell').count(), 4);
      // an off-diagonal cell with rows in it (the matrix is redrawn at every evaluation: retry a stale click)
      const rowsListed = view.locator('#cell-row-list li').first();
      for (let attempt = 0; attempt < 5 && !(await rowsListed.isVisible()); attempt++) {
        const counts = await view.locator('#confusion button.cell:not(.diagonal)').evaluateAll(cells => cells.map(c => Number(c.textContent)));
        const index = counts.findIndex(n => n > 0);
        assert.ok(index >= 0, 'some validation row was misclassified');
        await view
          .locator('#confusion button.cell:not(.diagonal)')
          .nth(index)
          .click({ timeout: 2000 })
          .catch(() => {});
        await rowsListed.waitFor({ timeout: 2000 }).catch(() => {});
      }
      await rowsListed.waitFor({ timeout: 5_000 });
      console.log(`screenshot: ${await screenshot(page, 'metrics-light')}`);
      // a listed row opens the CSV at its line
      // (read and click in one step: the list is redrawn at every evaluation)
      const line = await view
        .locator('#cell-row-list li button.link')
        .first()
        .evaluate(b => {
          b.click();
          return Number(b.dataset.line);
        });
      await page.locator('.tab', { hasText: 'sst2-dev-200.tsv' }).first().waitFor({ timeout: 15_000 });
      await page
        .locator('.statusbar-item', { hasText: `Ln ${line},` })
        .first()
        .waitFor({ timeout: 10_000 });
      await page.locator('.tab', { hasText: 'Metrics:' }).first().click();

      await runCommand(page, 'Preferences: Color Theme');
      await pickQuickItem(page, 'Dark Modern');
      await page.waitForTimeout(1500);
      console.log(`screenshot: ${await screenshot(page, 'metrics-dark')}`);

      await view.locator('#stop').click();
      await view.locator('#status', { hasText: 'stopped' }).waitFor({ timeout: 60_000 });
      assert.ok(await view.locator('#stop').isHidden());
      // The stopped run resumes from its panel, which says it trains again, and stops again.
      await view.locator('#resume').click();
      await view.locator('#status', { hasText: 'running' }).waitFor({ timeout: 60_000 });
      await view.locator('#stop:not([hidden])').waitFor({ timeout: 10_000 });
      assert.ok(await view.locator('#resume').isHidden());
      await view.locator('#stop').click();
      await view.locator('#status', { hasText: 'stopped' }).waitFor({ timeout: 60_000 });
      await view.locator('#resume:not([hidden])').waitFor({ timeout: 10_000 });
      assert.deepEqual(cspErrors, [], 'no Content Security Policy violations');
    }));
});
