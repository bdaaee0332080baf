// The integration suite in desktop VS Code, for developers' machines with internet:
// @vscode/test-electron downloads VS Code 1.100 (the version engines.vscode names) on first use.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT, copyWorkspace } from './codeServer.mjs';

const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bert-tune-electron-'));
const workspace = copyWorkspace(runDir);
try {
  await runTests({
    version: process.env.VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(ROOT, 'out', 'test', 'integration', 'suite.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${path.join(runDir, 'user-data')}`],
  });
} catch (e) {
  console.error(`integration tests failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(runDir, { recursive: true, force: true });
}
