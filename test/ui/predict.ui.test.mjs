// UI test: select text in an editor, predict it, read the inline label and confidence, hover it
// for every label's probability.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, startWorkbench } from '../vscode/codeServer.mjs';
import { openWorkbench, pickQuickItem, runCommand, screenshot, withFailureScreenshot } from './workbench.mjs';

describe('Predict selection, in the workbench', () => {
  let wb;
  let model;

  before(async () => {
    model = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-ui-model-')), 'sentiment');
    execFileSync(process.execPath, [path.join(ROOT, 'dist', 'trainer.js'), 'init-checkpoint', '--layers', '1', '--hidden', '16', '--heads', '2', '--intermediate', '32',
      '--vocab', path.join(ROOT, 'resources', 'bert-base-uncased-vocab.txt'), '--labels', 'negative,positive', '--out', model]);
    wb = await startWorkbench({ name: 'ui-predict' });
    await openWorkbench(wb.page, wb.url);
  });
  after(async () => {
    await wb?.close();
    if (model) fs.rmSync(path.dirname(model), { recursive: true, force: true });
  });

  it('shows the label and confidence after the selection, and every probability on hover', () =>
    withFailureScreenshot(wb.page, 'shows-the-label-and-confidence-after-the', async () => {
    const { page } = wb;
    // choose the model: "Local folder…" opens the simple file dialog, where a path can be typed
    await runCommand(page, 'BERT Tune: Choose model for predictions');
    await pickQuickItem(page, 'Local folder');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-widget .quick-input-list').waitFor({ timeout: 20_000 });
    await input.fill(`${model}/`);
    // The simple folder dialog: once it has read the typed folder (it lists its parent, ".."), accept it.
      await page.locator('.quick-input-list .monaco-list-row', { hasText: '..' }).first().waitFor({ timeout: 20_000 });
      const chosen = page.locator('.statusbar-item', { hasText: 'sentiment' }).first();
      for (let attempt = 0; attempt < 3 && !(await chosen.isVisible()); attempt++) {
        await page.locator('.quick-input-widget .monaco-button', { hasText: 'Use this model' }).first().click();
        await chosen.waitFor({ timeout: 5_000 }).catch(() => {});
      }
      await chosen.waitFor({ timeout: 5_000 });

    await runCommand(page, 'File: New Untitled Text File');
    const editor = page.locator('.monaco-editor .view-lines').first();
    await editor.click();
    await page.keyboard.type('an utterly charming and hilarious film');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await runCommand(page, 'BERT Tune: Predict selection');
    // The label is an "after" decoration: CSS ::after content, not DOM text.
    const label = await page.waitForFunction(
      () => [...document.querySelectorAll('.monaco-editor .view-lines span')].map(s => getComputedStyle(s, '::after').content).find(c => /(negative|positive) \d+%/.test(c)),
      undefined,
      { timeout: 60_000 },
    );
    assert.match(await label.jsonValue(), /^"(negative|positive) \d+%"$/);
    console.log(`screenshot: ${await screenshot(page, 'predict-1-inline')}`);

    await page.locator('.monaco-editor .view-lines .view-line').first().hover({ position: { x: 40, y: 5 } });
    const hover = page.locator('.monaco-hover', { hasText: 'BERT Tune' }).first();
    await hover.waitFor({ timeout: 20_000 });
    const text = await hover.innerText();
    assert.match(text, /negative\s+\d+\.\d%/);
    assert.match(text, /positive\s+\d+\.\d%/);
    console.log(`screenshot: ${await screenshot(page, 'predict-2-hover')}`);
    }));
});
