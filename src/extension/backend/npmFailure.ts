/**
 * What went wrong in a failed `npm install` of a native backend, in a sentence: npm's last lines
 * ("npm notice", "A complete log of this run can be found in…") say nothing a user can act on.
 * Free of `vscode`: unit-tested (test/unit/npmFailure.test.ts).
 */
const NETWORK = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|getaddrinfo|socket hang up|network)\b/i;
const NOISE = /A complete log of this run|^npm (notice|warn)\b|^npm error\s*$|^\s*$/i;

export function describeNpmFailure(pkg: string, code: number | null, output: string): string {
  const lines = output.split(/\r?\n/).map(l => l.trim());
  if (lines.some(l => NETWORK.test(l))) {
    return `Installing ${pkg} needs internet access (npm, then its install script downloads libtensorflow, a large download), and it could not connect. Nothing was changed; training goes on with the current backend.`;
  }
  const telling = lines
    .filter(l => !NOISE.test(l))
    .map(l => l.replace(/^npm (error|ERR!)\s*/i, ''))
    .filter(Boolean);
  const why = telling.slice(-2).join(' ') || `npm exit code ${code}`;
  return `Installing ${pkg} failed: ${why}. Nothing was changed; training goes on with the current backend.`;
}
