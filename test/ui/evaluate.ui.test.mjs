// UI test: evaluate the model predictions use on a labelled file from the Explorer: the
// evaluation panel shows the metrics, the per-class table and the confusion matrix; a cell lists
// its wrong rows, and a row opens the file at its line.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorkbench } from '../vscode/codeServer.mjs';
import {
  acceptQuickPick,
  activeWebview,
  chooseModelFolder,
  explorerContextMenu,
  makeTinyModel,
  openWorkbench,
  pickQuickItem,
  runCommand,
  removeTinyModel,
  screenshot,
  waitForQuickPick,
  withFailureScreenshot,
} from './workbench.mjs';

describe('Evaluate on a labelled file, in the workbench', () => {
  let wb;
  let model;

  before(async () => {
    // sst2-dev-200.tsv's labels are 0 and 1.
    model = makeTinyModel('evaluated', ['0', '1']);
    wb = await startWorkbench({ name: 'ui-evaluate' });
    await openWorkbench(wb.page, wb.url);
  });
  after(async () => {
    await wb?.close();
    removeTinyModel(model);
  });

  it('shows the metrics, the per-class table and the matrix, and opens a wrong row at its line', () =>
    withFailureScreenshot(wb.page, 'evaluate-file', async () => {
      const { page } = wb;
      await chooseModelFolder(page, model, 'evaluated');
      await explorerContextMenu(page, 'sst2-dev-200.tsv', 'Evaluate a Model on a Labelled File');
      await waitForQuickPick(page, 'Which column holds the texts');
      await acceptQuickPick(page);
      await waitForQuickPick(page, 'Which column holds the true labels');
      await acceptQuickPick(page);

      const view = activeWebview(page);
      await view.locator('#per-class vscode-table-row').nth(1).waitFor({ timeout: 60_000 });
      assert.deepEqual(await view.locator('#per-class vscode-table-row').evaluateAll(rows => rows.map(r => r.getAttribute('data-label'))), ['0', '1']);
      assert.match(await view.locator('#summary').innerText(), /accuracy \d+\.\d%, macro-F1 \d+\.\d%, loss \d\.\d{4}/);
      assert.match(await view.locator('#facts').innerText(), /200 evaluated/);
      const counts = await view.locator('#confusion button.cell').evaluateAll(cells => cells.map(c => Number(c.textContent)));
      assert.equal(counts.length, 4);
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        200,
      );
      // A random model gets rows wrong: the first off-diagonal cell with rows lists them.
      const wrong = await view.locator('#confusion button.cell:not(.diagonal)').evaluateAll(cells => cells.map(c => Number(c.textContent)));
      const index = wrong.findIndex(n => n > 0);
      assert.ok(index >= 0, 'some row was misclassified');
      await view.locator('#confusion button.cell:not(.diagonal)').nth(index).click();
      const first = view.locator('#cell-row-list li button.link').first();
      await first.waitFor({ timeout: 10_000 });
      console.log(`screenshot: ${await screenshot(page, 'evaluate-panel')}`);
      // One Tab stop for the matrix; the arrow keys move between its cells.
      const stops = await view.locator('#confusion button.cell').evaluateAll(cells => cells.filter(c => c.tabIndex === 0).length);
      assert.equal(stops, 1);
      await view.locator('#confusion button.cell[tabindex="0"]').focus();
      const before = await view.locator('#confusion button.cell[tabindex="0"]').evaluate(b => `${b.dataset.true},${b.dataset.pred}`);
      await page.keyboard.press('ArrowDown');
      const after = await view.locator('#confusion button.cell[tabindex="0"]').evaluate(b => `${b.dataset.true},${b.dataset.pred}`);
      const [t, p] = before.split(',').map(Number);
      assert.equal(after, t === 0 ? `1,${p}` : before, `ArrowDown from ${before}`);
      assert.equal(await view.locator('#confusion button.cell:focus').count(), 1);
      const line = Number(await first.getAttribute('data-line'));
      await first.click();
      await page.locator('.tab', { hasText: 'sst2-dev-200.tsv' }).first().waitFor({ timeout: 15_000 });
      await page
        .locator('.statusbar-item', { hasText: `Ln ${line},` })
        .first()
        .waitFor({ timeout: 10_000 });

      // Light High Contrast: no fill behind the matrix's numbers.
      await runCommand(page, 'Preferences: Color Theme');
      await pickQuickItem(page, 'Light High Contrast');
      await page.locator('.tab', { hasText: 'Evaluation:' }).first().click();
      await view.locator('#confusion button.cell.diagonal').first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(1000);
      const fill = await view
        .locator('#confusion button.cell.diagonal')
        .first()
        .evaluate(b => getComputedStyle(b).backgroundColor);
      assert.equal(fill, 'rgba(0, 0, 0, 0)');
      console.log(`screenshot: ${await screenshot(page, 'evaluate-high-contrast')}`);
    }));
});
