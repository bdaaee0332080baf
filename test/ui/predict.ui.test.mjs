// UI test: select text in an editor, predict it, read the inline label and confidence, hover it
// for every label's probability.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWorkbench } from '../vscode/codeServer.mjs';
import {
  chooseModelFolder,
  hoverEditorWord,
  makeTinyModel,
  openWorkbench,
  predictTypedText,
  removeTinyModel,
  screenshot,
  withFailureScreenshot,
} from './workbench.mjs';

describe('Predict selection, in the workbench', () => {
  let wb;
  let model;

  before(async () => {
    model = makeTinyModel('sentiment', ['negative', 'positive']);
    wb = await startWorkbench({ name: 'ui-predict' });
    await openWorkbench(wb.page, wb.url);
  });
  after(async () => {
    await wb?.close();
    removeTinyModel(model);
  });

  it('shows the label and confidence after the selection, and every probability on hover', () =>
    withFailureScreenshot(wb.page, 'predict-selection', async () => {
      const { page } = wb;
      await chooseModelFolder(page, model, 'sentiment');

      const label = await predictTypedText(page, 'an utterly charming and hilarious film', /(negative|positive) \d+%/);
      assert.match(label, /^"(negative|positive) \d+%"$/);
      console.log(`screenshot: ${await screenshot(page, 'predict-1-inline')}`);

      await hoverEditorWord(page, 'charming');
      const hover = page.locator('.monaco-hover', { hasText: 'BERT Tune' }).first();
      await hover.waitFor({ timeout: 20_000 });
      const text = await hover.innerText();
      assert.match(text, /negative\s+\d+\.\d%/);
      assert.match(text, /positive\s+\d+\.\d%/);
      console.log(`screenshot: ${await screenshot(page, 'predict-2-hover')}`);
    }));
});
