// How long the metrics panel takes to show one more training step when it already holds
// 20,000 points, against the same with 100 points, measured in headless Chromium in one run.
// The time runs from the message's arrival to the end of the redraw (the next animation frame
// included). Prints figures; asserts nothing.   node bench/metrics-panel.mjs
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [path.join(root, 'esbuild.mjs'), '--production'], { cwd: root, stdio: 'ignore' });
const page = `<!DOCTYPE html><html><head><link rel="stylesheet" href="/metrics.css"></head>
<body class="vscode-light"><main id="app"></main>
<script>window.acquireVsCodeApi = () => ({ postMessage() {}, getState() {}, setState() {} });</script>
<script type="module" src="/metrics.js"></script></body></html>`;
const server = http.createServer((req, res) => {
  if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  const file = path.join(root, 'dist', 'webview', path.basename(req.url));
  if (!fs.existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' }).end(fs.readFileSync(file));
});
await new Promise(r => server.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const results = {};
  for (const n of [100, 20_000]) {
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.locator('#loss-chart').waitFor({ state: 'attached' });
    const times = await tab.evaluate(async n => {
      const progress = step => ({
        type: 'progress',
        step,
        totalSteps: 100000,
        epoch: step / 100,
        loss: 0.7 * Math.exp(-step / 5000) + 0.05 * Math.random(),
        gradNorm: 1,
        learningRate: 1e-4,
        samplesPerSecond: 100,
        etaSeconds: 10,
      });
      const messages = [
        {
          type: 'started',
          runDir: '/r',
          backend: 'wasm',
          backendNotes: [],
          labels: ['0', '1'],
          trainRows: 1000,
          validationRows: 100,
          totalSteps: 100000,
          parameters: 1,
        },
      ];
      for (let s = 1; s <= n; s++) messages.push(progress(s));
      const drawn = () =>
        new Promise(resolve => {
          const el = document.getElementById('loss-chart');
          const target = String(Number(el.dataset.points ?? 0) + 1);
          new MutationObserver((_, obs) => {
            if (el.dataset.points === target) {
              obs.disconnect();
              resolve();
            }
          }).observe(el, { attributes: true });
        });
      window.postMessage({ type: 'init', run: { name: 'bench', dir: '/r', status: 'running' }, messages, comparable: [] }, '*');
      await new Promise(r => setTimeout(r, 1500));
      const out = [];
      for (let i = 1; i <= 50; i++) {
        const done = drawn();
        const t0 = performance.now();
        window.postMessage({ type: 'append', messages: [progress(n + i)] }, '*');
        await done;
        out.push(performance.now() - t0);
      }
      return out.sort((a, b) => a - b);
    }, n);
    results[n] = times;
    await tab.close();
  }
  const p = (xs, q) => xs[Math.floor(q * (xs.length - 1))];
  console.log('| points already shown | p50 ms | p95 ms |');
  console.log('|---|---|---|');
  for (const n of [100, 20_000]) console.log(`| ${n.toLocaleString('en-US')} | ${p(results[n], 0.5).toFixed(1)} | ${p(results[n], 0.95).toFixed(1)} |`);
  console.log(`ratio 20,000 / 100 points (p50): ${(p(results[20_000], 0.5) / p(results[100], 0.5)).toFixed(2)}`);
} finally {
  await browser.close();
  server.close();
}
