// Runs the UI tests (test/ui/*.ui.test.mjs): Playwright and Debian Chromium driving code-server's
// workbench. Screenshots land in test-results/screenshots/ (git-ignored).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, ensureCodeServer } from './codeServer.mjs';

ensureCodeServer();
const dir = path.join(ROOT, 'test', 'ui');
const files = fs
  .readdirSync(dir)
  .filter(f => f.endsWith('.ui.test.mjs'))
  .map(f => path.join(dir, f));
// One file at a time: each starts its own code-server, and this machine has two cores.
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: ROOT });
process.exit(r.status ?? 1);
