/**
 * Restricted Mode (package.json `capabilities.untrustedWorkspaces`: "limited"): what reads the
 * workspace's datasets works; what trains on them, loads a model from them or writes into the
 * workspace waits for trust. Free of `vscode`, so the rule is tested on its own.
 */

/** The commands that start a trainer or inference process on the workspace's files, or write into it. */
export const COMMANDS_NEEDING_TRUST: ReadonlySet<string> = new Set([
  'bertTune.fineTune',
  'bertTune.runs.resume',
  'bertTune.runs.useForPredictions',
  'bertTune.setActiveModel',
  'bertTune.predictSelection',
  'bertTune.predictSelectionLineByLine',
  'bertTune.predictCsvColumn',
  'bertTune.evaluateFile',
  'bertTune.runs.evaluate',
  'bertTune.runs.exportScript',
  'bertTune.runs.import',
  // they write into the workspace's run folders
  'bertTune.runs.delete',
  'bertTune.runs.rename',
  'bertTune.runs.editNote',
]);

export const TRUST_NEEDED_MESSAGE =
  'BERT Tune trains, predicts and changes runs only in a trusted workspace: a model or dataset from an untrusted folder stays unopened, and nothing is written into it. Trust this folder to go on.';

/** `run` when the workspace is trusted; otherwise `refuse()` and nothing else. */
export function withTrust<A extends unknown[], R>(run: (...args: A) => R, isTrusted: () => boolean, refuse: () => void): (...args: A) => R | undefined {
  return (...args: A) => {
    if (isTrusted()) return run(...args);
    refuse();
    return undefined;
  };
}
