import * as vscode from 'vscode';
import { extensionApi, waitFor, workspaceRoot } from './util';

describe('Dataset summary panel', () => {
  it('opens for a dataset and is reused for the next one', async () => {
    const api = await extensionApi();
    await api.ctx.catalog.whenIdle();
    const tabs = () =>
      vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.input instanceof vscode.TabInputWebview && t.label.startsWith('Dataset: '));
    await vscode.commands.executeCommand('bertTune.datasets.showSummary', vscode.Uri.joinPath(workspaceRoot(), 'sst2-dev-200.tsv'));
    await waitFor('the summary tab', () => tabs().some(t => t.label === 'Dataset: sst2-dev-200.tsv'));
    await vscode.commands.executeCommand('bertTune.datasets.showSummary', vscode.Uri.joinPath(workspaceRoot(), 'mrpc-test-100.tsv'));
    await waitFor('the same tab to show the next dataset', () => tabs().length === 1 && tabs()[0].label === 'Dataset: mrpc-test-100.tsv');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
