/**
 * Restricted Mode (package.json `capabilities.untrustedWorkspaces`: "limited"): what reads the
 * workspace's datasets works; what trains on them, loads a model from them or writes into the
 * workspace waits for trust. Free of `vscode`, so the rule is tested on its own.
 */

/** The commands that start a trainer or inference process on the workspace's files. */
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
]);

export const TRUST_NEEDED_MESSAGE =
  'BERT Tune trains and predicts only in a trusted workspace: a model or dataset from an untrusted folder stays unopened. Trust this folder to go on.';

/** `run` when the workspace is trusted; otherwise `refuse()` and nothing else. */
export function withTrust<A extends unknown[], R>(run: (...args: A) => R, isTrusted: () => boolean, refuse: () => void): (...args: A) => R | undefined {
  return (...args: A) => {
    if (isTrusted()) return run(...args);
    refuse();
    return undefined;
  };
}
