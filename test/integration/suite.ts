/**
 * Entry point VS Code calls inside the extension host (`extensionTestsPath`): runs every
 * `*.test.js` beside it with mocha, and prints a closing "N passed, N failed" line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const only = process.env.BERT_TUNE_TEST_GREP;
  if (only) mocha.grep(only);
  for (const f of fs
    .readdirSync(__dirname)
    .filter(f => f.endsWith('.test.js'))
    .sort())
    mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run(failures => {
      console.log(`integration: ${runner.stats?.passes ?? 0} passed, ${failures} failed`);
      if (failures) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
