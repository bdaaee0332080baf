// Runs the integration suite (out/test/integration/suite.js) inside a real VS Code extension
// host: code-server's, driven by headless Chromium. `npm run test:electron` runs the same suite
// in desktop VS Code through @vscode/test-electron where it can be downloaded.
import * as path from 'node:path';
import { format } from 'node:util';
import { ROOT, withWorkbench } from './codeServer.mjs';

const TIMEOUT_MS = 5 * 60 * 1000;
const testsPath = path.join(ROOT, 'out', 'test', 'integration', 'suite.js');
const t0 = Date.now();

const code = await withWorkbench({ testsPath, name: 'integration' }, async ({ page, url }) => {
  const exit = new Promise(resolve => {
    void page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...args);
      (type === 'error' ? console.error : console.log)(text);
    });
    void page.exposeFunction('codeAutomationExit', c => resolve(c));
  });
  page.on('pageerror', e => console.error(`[workbench] ${e.message}`));
  await page.goto(url);
  return Promise.race([exit, new Promise(r => setTimeout(() => r('timeout'), TIMEOUT_MS))]);
});

console.log(`integration tests: exit ${code} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(code === 0 ? 0 : 1);
