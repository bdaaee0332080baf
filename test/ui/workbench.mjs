// Helpers for driving the VS Code workbench in Playwright: the palette, views, webviews.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../vscode/codeServer.mjs';

export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');

export async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

export async function openWorkbench(page, url) {
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
  // The extension's contributions (its activity-bar container, its menu entries) arrive after
  // the Explorer: a context menu opened before them would lack our entries.
  await page.locator('.activitybar .action-item a[aria-label^="BERT Tune"]').waitFor({ timeout: 90_000 });
  await page.waitForTimeout(1000);
}

/** Runs a command from the palette by its full title, e.g. "BERT Tune: Refresh". */
export async function runCommand(page, title) {
  const input = page.locator('.quick-input-widget input');
  for (let i = 0; i < 5 && !(await input.isVisible()); i++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 3000 }).catch(() => {});
  }
  await input.fill(`>${title}`);
  // The row whose label starts with the title: "File: New Untitled Text File", not "File: Compare New Untitled Text Files".
  const row = page.locator(`.quick-input-list .monaco-list-row[aria-label^="${title.replace(/"/g, '\\"')}"]`).first();
  await row.waitFor({ timeout: 15_000 });
  await row.click();
}

/** Picks an item in an open quick pick by typing its label. */
export async function pickQuickItem(page, label) {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(label);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** The inner document of the active webview: two nested iframes. */
export function activeWebview(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** A tree view's pane, opened if it is collapsed. */
export async function openViewPane(page, title) {
  const header = page.locator('.pane-header', { hasText: title }).first();
  await header.waitFor({ timeout: 30_000 });
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  return page.locator('.pane', { has: header }).first();
}

/** Right-clicks a row of the Explorer and runs one of its context-menu entries. */
export async function explorerContextMenu(page, fileName, entry) {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: fileName }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click({ button: 'right' });
  await clickMenuItem(page, entry);
}

/** Clicks an entry of the open context menu (the workbench renders menus in a shadow root). */
export async function clickMenuItem(page, entry) {
  const item = page.getByRole('menuitem', { name: entry }).first();
  await item.waitFor({ timeout: 10_000 });
  // A mouse click only highlights the entry in the web workbench's menu; Enter runs it.
  await item.hover();
  await page.keyboard.press('Enter');
}

/** Accepts the active item of the open quick pick (the pre-selected choice). */
export async function acceptQuickPick(page, expectTitle) {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: 20_000 });
  if (expectTitle) await page.locator('.quick-input-widget .quick-input-title', { hasText: expectTitle }).waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/** Clicks a button of the modal dialog the workbench shows for { modal: true } messages. */
export async function clickDialogButton(page, label) {
  const button = page
    .locator('.monaco-dialog-box .dialog-buttons a.monaco-button, .monaco-dialog-box .dialog-buttons .monaco-button', { hasText: label })
    .first();
  await button.waitFor({ timeout: 60_000 });
  await button.click();
}

/** Waits for the quick pick whose input's placeholder contains `text` (placeholders are attributes, not text). */
export async function waitForQuickPick(page, text, timeout = 30_000) {
  await page.locator(`.quick-input-widget input[placeholder*="${text}"]`).waitFor({ state: 'visible', timeout });
}

/** Runs a UI step and, if it fails, saves a screenshot named after it before rethrowing. */
export async function withFailureScreenshot(page, name, fn) {
  try {
    return await fn();
  } catch (e) {
    const file = await screenshot(page, `FAILED-${name}`).catch(() => undefined);
    if (file) console.log(`failure screenshot: ${file}`);
    throw e;
  }
}

/** A tiny random BERT classifier (1 layer, hidden 16) in a temporary folder, made by the bundled trainer. */
export function makeTinyModel(name, labels) {
  const model = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-ui-model-')), name);
  execFileSync(process.execPath, [
    path.join(ROOT, 'dist', 'trainer.js'),
    'init-checkpoint',
    '--layers',
    '1',
    '--hidden',
    '16',
    '--heads',
    '2',
    '--intermediate',
    '32',
    '--vocab',
    path.join(ROOT, 'resources', 'bert-base-uncased-vocab.txt'),
    '--labels',
    labels.join(','),
    '--out',
    model,
  ]);
  return model;
}

export function removeTinyModel(model) {
  if (model) fs.rmSync(path.dirname(model), { recursive: true, force: true });
}

/**
 * Hovers over `word` in the active editor the way a person's mouse gets there: it first rests on
 * a blank part of the editor below the text, until no hover is showing, then glides onto the
 * middle of the word. The mouse is wherever the last click left it (after the palette, over the
 * editor's tab), and a tooltip opened there covers the first lines: a jump straight from it lands
 * on the tooltip, and the editor never sees the mouse over its text.
 */
export async function hoverEditorWord(page, word) {
  const target = await page.evaluate(w => {
    for (const line of document.querySelectorAll('.monaco-editor .view-lines .view-line')) {
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.data.indexOf(w);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + w.length);
        const b = range.getBoundingClientRect();
        return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
      }
    }
    return undefined;
  }, word);
  if (!target) throw new Error(`"${word}" is not shown in any editor line`);
  const editor = await page.locator('.monaco-editor .view-lines').first().boundingBox();
  await page.mouse.move(target.x, editor.y + editor.height - 20, { steps: 5 });
  await page
    .locator('.monaco-hover:visible, .workbench-hover:visible')
    .first()
    .waitFor({ state: 'hidden', timeout: 5_000 })
    .catch(() => {});
  await page.mouse.move(target.x, target.y, { steps: 10 });
  // Fail here, not after a timeout, if something still covers the word.
  const under = await page.evaluate(({ x, y }) => Boolean(document.elementFromPoint(x, y)?.closest('.view-lines')), target);
  if (!under) throw new Error(`something covers "${word}" at (${target.x}, ${target.y})`);
}

/**
 * Chooses a model folder for predictions: "Local folder…" opens the simple folder dialog, where
 * a path can be typed; resolves once the status bar names the model.
 */
export async function chooseModelFolder(page, model, name) {
  await runCommand(page, 'BERT Tune: Choose model for predictions');
  await pickQuickItem(page, 'Local folder');
  const input = page.locator('.quick-input-widget input');
  await page.locator('.quick-input-widget .quick-input-list').waitFor({ timeout: 20_000 });
  // The dialog fills in its own starting folder once it is ready: type ours after that.
  for (let attempt = 0; attempt < 10 && (await input.inputValue()) !== `${model}/`; attempt++) {
    await input.fill(`${model}/`);
    await page.waitForTimeout(700);
  }
  if ((await input.inputValue()) !== `${model}/`) throw new Error(`the folder dialog did not take ${model}/`);
  const chosen = page.locator('.statusbar-item', { hasText: name }).first();
  for (let attempt = 0; attempt < 3 && !(await chosen.isVisible()); attempt++) {
    // (the dialog may have closed after an earlier click: a missing button is fine)
    await page
      .locator('.quick-input-widget .monaco-button', { hasText: 'Use this model' })
      .first()
      .click({ timeout: 2_000 })
      .catch(() => {});
    await chosen.waitFor({ timeout: 5_000 }).catch(() => {});
  }
  await chosen.waitFor({ timeout: 10_000 });
}

/** BERT Tune's Runs view, its activity-bar entry clicked only when its views are not showing (the entry toggles). */
export async function runsPane(page) {
  if (!(await page.locator('.pane-header', { hasText: 'Runs' }).first().isVisible())) {
    await page.locator('.activitybar .action-item a[aria-label^="BERT Tune"]').click();
  }
  return openViewPane(page, 'Runs');
}

/**
 * Types `text` into a new untitled editor, selects it and runs Predict selection; resolves to
 * the inline label once one matching `shown` is there (an "after" decoration: CSS ::after
 * content, not DOM text), quoted as CSS gives it.
 */
export async function predictTypedText(page, text, shown) {
  await runCommand(page, 'File: New Untitled Text File');
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.type(text);
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await runCommand(page, 'BERT Tune: Predict selection');
  const label = await page.waitForFunction(
    source =>
      [...document.querySelectorAll('.monaco-editor .view-lines span')].map(s => getComputedStyle(s, '::after').content).find(c => new RegExp(source).test(c)),
    shown.source,
    { timeout: 60_000 },
  );
  return label.jsonValue();
}
