/**
 * The Runs view. Training runs arrive with the "Fine-tune on this CSV" flow; until then the view
 * is empty and its welcome text (package.json `viewsWelcome`) says how runs will appear.
 */
import * as vscode from 'vscode';

export class RunsTreeProvider implements vscode.TreeDataProvider<never> {
  getChildren(): never[] {
    return [];
  }

  getTreeItem(node: never): vscode.TreeItem {
    return node;
  }
}
