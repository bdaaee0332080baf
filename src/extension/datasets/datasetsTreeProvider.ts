/** The Datasets view: each dataset file, and under it its shape, columns, label balance and problems. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { delimiterName, type ColumnInfo, type DatasetInfo, type DatasetProblem } from '../../shared/dataset';
import type { DatasetCatalog, DatasetEntry } from './datasetCatalog';
import { describeDataset, describeEncoding } from './describe';
import { count } from '../../shared/words';

export type DatasetNode =
  | { kind: 'dataset'; entry: DatasetEntry }
  | { kind: 'shape'; entry: DatasetEntry; info: DatasetInfo }
  | { kind: 'column'; entry: DatasetEntry; column: ColumnInfo }
  | { kind: 'value'; entry: DatasetEntry; column: ColumnInfo; value: string; count: number }
  | { kind: 'problem'; entry: DatasetEntry; problem: DatasetProblem };

const ROLE_ICONS: Record<ColumnInfo['role'], string> = { text: 'symbol-string', label: 'tag', id: 'key', other: 'symbol-field' };

export class DatasetsTreeProvider implements vscode.TreeDataProvider<DatasetNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<DatasetNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** One node object per entry, so that firing a change for it updates that row only. */
  private readonly nodes = new WeakMap<DatasetEntry, DatasetNode>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly catalog: DatasetCatalog) {
    this.subscription = catalog.onDidChange(entry => this.emitter.fire(entry ? this.nodeFor(entry) : undefined));
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  getChildren(node?: DatasetNode): DatasetNode[] {
    if (!node) return this.catalog.list().map(e => this.nodeFor(e));
    if (node.kind === 'dataset') {
      const state = node.entry.state;
      if (state.status !== 'ready') return [];
      const { info } = state;
      return [
        ...info.problems.map(problem => ({ kind: 'problem' as const, entry: node.entry, problem })),
        ...(info.columns.length ? [{ kind: 'shape' as const, entry: node.entry, info }] : []),
        ...info.columns.map(column => ({ kind: 'column' as const, entry: node.entry, column })),
      ];
    }
    if (node.kind === 'column' && node.column.role === 'label' && node.column.valueCounts) {
      return node.column.valueCounts.map(([value, count]) => ({ kind: 'value' as const, entry: node.entry, column: node.column, value, count }));
    }
    return [];
  }

  getParent(node: DatasetNode): DatasetNode | undefined {
    if (node.kind === 'dataset') return undefined;
    if (node.kind === 'value') return { kind: 'column', entry: node.entry, column: node.column };
    return this.nodeFor(node.entry);
  }

  getTreeItem(node: DatasetNode): vscode.TreeItem {
    switch (node.kind) {
      case 'dataset':
        return datasetItem(node.entry);
      case 'shape':
        return shapeItem(node.info);
      case 'column':
        return columnItem(node.column, node.entry.state.status === 'ready' ? node.entry.state.info.rows : 0);
      case 'value':
        return valueItem(node.value, node.count, node.column.filled);
      case 'problem':
        return problemItem(node.entry, node.problem);
    }
  }

  private nodeFor(entry: DatasetEntry): DatasetNode {
    let node = this.nodes.get(entry);
    if (!node) {
      node = { kind: 'dataset', entry };
      this.nodes.set(entry, node);
    }
    return node;
  }
}

function datasetItem(entry: DatasetEntry): vscode.TreeItem {
  const state = entry.state;
  const item = new vscode.TreeItem(path.posix.basename(entry.uri.path), vscode.TreeItemCollapsibleState.None);
  item.id = entry.uri.toString();
  item.resourceUri = entry.uri;
  // Collapsible rows with a resourceUri get a folder icon unless told it is a file.
  item.iconPath = vscode.ThemeIcon.File;
  item.contextValue = 'dataset';
  item.command = { command: 'vscode.open', title: 'Open', arguments: [entry.uri] };
  const folder = path.posix.dirname(entry.relativePath);
  const where = folder === '.' ? '' : folder;
  const tooltip = new vscode.MarkdownString(undefined, true);
  tooltip.appendMarkdown('**').appendText(entry.relativePath).appendMarkdown('**\n\n');
  if (state.status === 'pending') {
    item.description = joinParts(['reading…', where]);
    tooltip.appendMarkdown('Reading the file…');
  } else if (state.status === 'failed') {
    item.description = joinParts(['cannot read', where]);
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    tooltip.appendMarkdown('$(warning) ').appendText(state.message);
  } else {
    const { info } = state;
    item.collapsibleState = vscode.TreeItemCollapsibleState.Collapsed;
    item.description = joinParts([count(info.rows, 'row'), formatName(info), where]);
    describeDataset(info)
      .split('\n')
      .forEach((line, i) => tooltip.appendMarkdown(i ? '  \n' : '').appendText(line));
    const worst = info.problems.find(p => p.severity === 'error') ?? info.problems[0];
    if (worst) {
      item.iconPath =
        worst.severity === 'error'
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
          : new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      for (const p of info.problems) tooltip.appendMarkdown(`\n\n$(${p.severity}) `).appendText(p.message);
    }
  }
  item.tooltip = tooltip;
  return item;
}

function shapeItem(info: DatasetInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(count(info.rows, 'row'));
  item.description = joinParts([
    info.delimiter ? `${delimiterName(info.delimiter)}-separated` : formatName(info),
    info.format === 'csv' ? (info.hasHeader ? 'header row' : 'no header') : '',
    describeEncoding(info.encoding),
  ]);
  item.iconPath = new vscode.ThemeIcon('table');
  item.tooltip = describeDataset(info);
  return item;
}

function columnItem(column: ColumnInfo, rows: number): vscode.TreeItem {
  const counts = column.role === 'label' && column.valueCounts;
  const item = new vscode.TreeItem(column.name, counts ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.iconPath = new vscode.ThemeIcon(ROLE_ICONS[column.role]);
  item.contextValue = `column.${column.role}`;
  const facts: string[] = [];
  if (column.role === 'text') facts.push('likely text');
  if (column.role === 'label') facts.push(`likely label · ${count(column.distinct, 'class', 'classes')}`);
  if (column.role === 'id') facts.push('id');
  if (column.role !== 'label') facts.push(column.numeric ? 'numbers' : `avg ${Math.round(column.meanLength)} chars`);
  if (column.filled < rows) facts.push(`${(rows - column.filled).toLocaleString('en-US')} empty`);
  item.description = facts.join(' · ');
  item.tooltip = `${column.name}: ${column.filled.toLocaleString('en-US')} values, ${
    column.distinctCapped ? `at least ${column.distinct.toLocaleString('en-US')}` : column.distinct.toLocaleString('en-US')
  } distinct, mean length ${column.meanLength.toFixed(1)}`;
  return item;
}

function valueItem(value: string, count: number, total: number): vscode.TreeItem {
  const item = new vscode.TreeItem(value === '' ? '(empty)' : value);
  const share = total ? (100 * count) / total : 0;
  item.description = `${count.toLocaleString('en-US')} · ${share.toFixed(1)}%`;
  item.iconPath = new vscode.ThemeIcon('circle-small-filled');
  return item;
}

function problemItem(entry: DatasetEntry, problem: DatasetProblem): vscode.TreeItem {
  const item = new vscode.TreeItem(problem.message);
  item.iconPath =
    problem.severity === 'error'
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
      : new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  item.tooltip = problem.message;
  if (problem.line) {
    const at = new vscode.Range(problem.line - 1, 0, problem.line - 1, 0);
    item.command = { command: 'vscode.open', title: 'Go to line', arguments: [entry.uri, { selection: at }] };
  }
  return item;
}

const joinParts = (parts: string[]): string => parts.filter(Boolean).join(' · ');

/** "tab", "comma", "JSON Lines"; nothing for a file too broken to have a dialect. */
const formatName = (info: DatasetInfo): string => (info.format === 'jsonl' ? 'JSON Lines' : info.delimiter ? delimiterName(info.delimiter) : '');
