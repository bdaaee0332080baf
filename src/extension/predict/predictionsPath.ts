/** Where "Predict a CSV column" writes: beside the file, never over anything that exists. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `<name>.predictions.csv`, or `<name>.predictions-2.csv`... if that exists. */
export function predictionsPath(file: string): string {
  const dir = path.dirname(file);
  const stem = path.basename(file, path.extname(file));
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, `${stem}.predictions${i === 1 ? '' : `-${i}`}.csv`);
    if (!fs.existsSync(candidate)) return candidate;
  }
}
