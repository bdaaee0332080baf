// Starts code-server (the real VS Code 1.100 workbench and extension host) and headless Debian
// Chromium, for the integration and UI tests. Everything a run writes stays in its own temporary
// folder; code-server runs in its own process group and is killed with it.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CS_PREFIX = process.env.BERT_TUNE_CODE_SERVER ?? path.join(ROOT, '.cache', 'code-server');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function ensureCodeServer() {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'install-code-server.sh'), CS_PREFIX], { stdio: 'inherit' });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A copy of the fixture workspace, so tests may write into it. */
export function copyWorkspace(runDir) {
  const ws = path.join(runDir, 'workspace');
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'workspace'), ws, { recursive: true });
  return ws;
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
};

/**
 * Starts a fresh code-server with the extension under development loaded (and, with
 * `testsPath`, its tests run in the extension host) and a browser page for it.
 * Returns `{ page, url, workspace, runDir, close }`; `close()` stops both and removes the run.
 */
export async function startWorkbench({ testsPath, settings = {}, name = 'run' } = {}) {
  ensureCodeServer();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `bert-tune-${name}-`));
  const workspace = copyWorkspace(runDir);
  const userDir = path.join(runDir, 'user-data', 'User');
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  const xdg = Object.fromEntries(['CONFIG', 'DATA', 'CACHE'].map(k => [`XDG_${k}_HOME`, path.join(runDir, 'xdg', k.toLowerCase())]));
  const port = await freePort();
  const log = fs.openSync(path.join(runDir, 'code-server.log'), 'w');
  const server = spawn(
    path.join(CS_PREFIX, 'node_modules', '.bin', 'code-server'),
    [
      '--config',
      '/dev/null',
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      path.join(runDir, 'user-data'),
      '--extensions-dir',
      path.join(runDir, 'exts'),
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--disable-proxy',
      '--ignore-last-opened',
    ],
    // its own process group: its file watchers and extension host go down with it
    { env: { ...process.env, ...xdg }, stdio: ['ignore', log, log], detached: true },
  );
  const killServer = () => {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.on('exit', killServer);
  let browser;
  const close = async () => {
    await browser?.close().catch(() => {});
    killServer();
    fs.closeSync(log);
    if (process.env.BERT_TUNE_KEEP_RUN) console.log(`kept ${runDir}`);
    else fs.rmSync(runDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(port, runDir);
    const host = `127.0.0.1:${port}`;
    const payload = [['extensionDevelopmentPath', `vscode-remote://${host}${ROOT}`]];
    if (testsPath) payload.push(['extensionTestsPath', `vscode-remote://${host}${testsPath}`]);
    const url = `http://${host}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    browser = await chromium.launchPersistentContext(path.join(runDir, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    return { page, url, workspace, runDir, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** `startWorkbench`, then `fn(workbench)`, then close whatever happened. */
export async function withWorkbench(options, fn) {
  const workbench = await startWorkbench(options);
  try {
    return await fn(workbench);
  } finally {
    await workbench.close();
  }
}

async function waitForHealth(port, runDir) {
  for (let i = 0; i < 240; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`code-server did not start:\n${fs.readFileSync(path.join(runDir, 'code-server.log'), 'utf8')}`);
}
