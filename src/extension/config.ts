/** The settings as VS Code has them now: read at each use, so a change applies to the next run or prediction. */
import * as vscode from 'vscode';
import { readSettings, type Settings } from './settings';

export const SETTINGS_SECTION = 'bertTune';

export function currentSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  return readSettings({
    get: key => c.get(key),
    userValue: key => c.inspect(key)?.globalValue,
    setValue: key => {
      const i = c.inspect(key);
      return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
    },
  });
}
