import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DatasetNode } from '../../src/extension/datasets/datasetsTreeProvider';
import type { BertTuneTestApi } from '../../src/extension/main';
import { EXTENSION_ID, extensionApi, waitFor, workspaceRoot } from './util';

const FIXTURE_FILES = [
  'bad/binary.csv',
  'bad/empty.csv',
  'bad/header-only.csv',
  'bad/latin1.csv',
  'bad/unclosed-quote.csv',
  'chnsenticorp-200.csv',
  'more/emotion-val-150.csv',
  'more/reviews.jsonl',
  'more/sms-spam-300.tsv',
  'mrpc-test-100.tsv',
  'sst2-dev-200.tsv',
];

describe('Datasets view', function () {
  let api: BertTuneTestApi;
  const tree = () => api.ctx.datasetsTree;
  const datasets = () => tree().getChildren() as Extract<DatasetNode, { kind: 'dataset' }>[];
  const find = (rel: string) => datasets().find(n => n.entry.relativePath === rel);
  const item = (node: DatasetNode) => tree().getTreeItem(node);
  const childItems = (node: DatasetNode) =>
    tree()
      .getChildren(node)
      .map(c => ({ node: c, item: item(c) }));
  // What the tooltip reads as: MarkdownString.appendText escapes punctuation and writes spaces as &nbsp;
  const tooltipText = (t: vscode.TreeItem) =>
    t.tooltip instanceof vscode.MarkdownString ? t.tooltip.value.replace(/&nbsp;/g, ' ').replace(/\\(.)/g, '$1') : String(t.tooltip ?? '');
  const iconId = (t: vscode.TreeItem) => (t.iconPath instanceof vscode.ThemeIcon ? t.iconPath.id : undefined);
  const uri = (rel: string) => vscode.Uri.joinPath(workspaceRoot(), ...rel.split('/'));
  const rowsOf = (rel: string) => {
    const n = find(rel);
    return n && n.entry.state.status === 'ready' ? n.entry.state.info.rows : undefined;
  };

  before(async function () {
    // Activation comes from `workspaceContains`, before anything asks for the extension.
    await waitFor('the extension to activate on its own', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
    api = await extensionApi();
    await waitFor('every fixture to be inspected', async () => {
      await api.ctx.catalog.whenIdle();
      return datasets().length >= FIXTURE_FILES.length && datasets().every(n => n.entry.state.status !== 'pending');
    });
  });

  it('lists the workspace dataset files, honouring files.exclude', () => {
    assert.deepEqual(
      datasets().map(n => n.entry.relativePath),
      FIXTURE_FILES,
    );
  });

  it('shows rows, delimiter and columns of the SST-2 slice', () => {
    const node = find('sst2-dev-200.tsv')!;
    const it = item(node);
    assert.equal(it.label, 'sst2-dev-200.tsv');
    assert.equal(it.description, '200 rows · tab');
    assert.equal(it.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const children = childItems(node);
    assert.deepEqual(
      children.map(c => c.item.label),
      ['200 rows', 'text', 'label'],
    );
    assert.match(String(children[0].item.description), /^tab-separated · header row · UTF-8$/);
    assert.match(String(children[1].item.description), /likely text/);
    const label = children[2];
    assert.match(String(label.item.description), /likely label · 2 classes/);
    const values = tree()
      .getChildren(label.node)
      .map(v => item(v));
    assert.deepEqual(values.map(v => v.label).sort(), ['0', '1']);
    const total = values.reduce((s, v) => s + Number(String(v.description).split(' ')[0]), 0);
    assert.equal(total, 200);
  });

  it('names the columns of the header-less Chinese CSV by position', () => {
    const node = find('chnsenticorp-200.csv')!;
    assert.equal(item(node).description, '200 rows · comma');
    const children = childItems(node);
    assert.deepEqual(
      children.map(c => c.item.label),
      ['200 rows', 'column 1', 'column 2'],
    );
    assert.match(String(children[0].item.description), /no header/);
  });

  it('reads the MRPC slice with its BOM and CRLF line ends', () => {
    const node = find('mrpc-test-100.tsv')!;
    assert.equal(item(node).description, '100 rows · tab');
    const children = childItems(node);
    assert.deepEqual(
      children.map(c => c.item.label),
      ['100 rows', 'Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'],
    );
    assert.match(String(children[0].item.description), /UTF-8 with BOM/);
  });

  it('finds semicolons in a .csv and the keys of a JSONL file', () => {
    assert.equal(item(find('more/emotion-val-150.csv')!).description, '150 rows · semicolon · more');
    assert.equal(item(find('more/reviews.jsonl')!).description, '3 rows · JSON Lines · more');
  });

  it('marks bad files with a warning icon and a tooltip that says what is wrong', () => {
    const expectations: [string, string, RegExp][] = [
      ['bad/empty.csv', 'error', /empty/],
      ['bad/header-only.csv', 'error', /only a header/i],
      ['bad/binary.csv', 'error', /binary/],
      ['bad/latin1.csv', 'warning', /not valid UTF-8/i],
      ['bad/unclosed-quote.csv', 'error', /line 2/],
      ['more/reviews.jsonl', 'warning', /line 3/],
    ];
    for (const [rel, icon, message] of expectations) {
      const it = item(find(rel)!);
      assert.equal(iconId(it), icon, `${rel}: ${tooltipText(it)}`);
      assert.match(tooltipText(it), message, rel);
    }
    assert.equal(iconId(item(find('sst2-dev-200.tsv')!)), 'file', 'a good file keeps its file icon');
  });

  it('follows a file as it is created, changed and deleted', async () => {
    const file = uri('fresh/new-data.csv');
    await vscode.workspace.fs.writeFile(file, Buffer.from('text,label\ngood,pos\nbad,neg\nfine,pos\n'));
    await waitFor('the new file to be listed with 3 rows', () => rowsOf('fresh/new-data.csv') === 3);
    await vscode.workspace.fs.writeFile(file, Buffer.from('text,label\ngood,pos\nbad,neg\nfine,pos\nmore,neg\nlast,pos\n'));
    await waitFor('the changed file to show 5 rows', () => rowsOf('fresh/new-data.csv') === 5);
    await vscode.workspace.fs.delete(file);
    await waitFor('the deleted file to leave the list', () => !find('fresh/new-data.csv'));
  });

  it('survives a large file deleted while it is being read', async () => {
    const file = uri('fresh/vanishing.csv');
    await vscode.workspace.fs.writeFile(file, Buffer.from('text,label\n' + 'a line of text,1\n'.repeat(300_000)));
    await waitFor('the large file to be listed', () => find('fresh/vanishing.csv'));
    await vscode.workspace.fs.delete(file);
    await waitFor('the deleted large file to leave the list', () => !find('fresh/vanishing.csv'));
    await api.ctx.catalog.whenIdle();
  });

  it('skips node_modules even where files.exclude does not', async () => {
    await vscode.workspace.fs.writeFile(uri('node_modules/some-package/data.csv'), Buffer.from('a,b\n1,2\n'));
    await vscode.workspace.fs.writeFile(uri('visible/data.csv'), Buffer.from('a,b\n1,2\n'));
    // A rescan, not the file watcher: a file made in a folder made a moment before can reach the
    // watcher late (the folder's watch is not set up yet), and this test is about what is listed.
    await vscode.commands.executeCommand('bertTune.datasets.refresh');
    await waitFor('the visible file to be listed', () => find('visible/data.csv'));
    assert.ok(!datasets().some(n => n.entry.relativePath.includes('node_modules')));
    await vscode.workspace.fs.delete(uri('visible/data.csv'));
  });

  it("never lists BERT Tune's own files (a run's metrics.jsonl) as datasets", async () => {
    await vscode.workspace.fs.writeFile(uri('.bert-tune/runs/some-run/metrics.jsonl'), Buffer.from('{"type":"log","message":"x"}\n'));
    await vscode.workspace.fs.writeFile(uri('visible/data.csv'), Buffer.from('a,b\n1,2\n'));
    // A rescan, not the file watcher: a file made in a folder made a moment before can reach the
    // watcher late (the folder's watch is not set up yet), and this test is about what is listed.
    await vscode.commands.executeCommand('bertTune.datasets.refresh');
    await waitFor('the visible file to be listed', () => find('visible/data.csv'));
    assert.ok(!datasets().some(n => n.entry.relativePath.includes('.bert-tune')));
    await vscode.workspace.fs.delete(uri('visible/data.csv'));
    await vscode.workspace.fs.delete(uri('.bert-tune/runs/some-run'), { recursive: true });
  });

  it('updates when files.exclude changes', async () => {
    const config = vscode.workspace.getConfiguration('files');
    const before = config.inspect<Record<string, boolean>>('exclude')?.workspaceValue;
    await config.update('exclude', { ...before, more: true }, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('more/ to be hidden', () => !datasets().some(n => n.entry.relativePath.startsWith('more/')));
    } finally {
      await config.update('exclude', before, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('more/ to come back', () => find('more/reviews.jsonl'));
  });

  it('refreshes from its view title action', async () => {
    const node = find('sst2-dev-200.tsv')!;
    const stampBefore = node.entry.stamp;
    await vscode.commands.executeCommand('bertTune.datasets.refresh');
    await api.ctx.catalog.whenIdle();
    assert.equal(rowsOf('sst2-dev-200.tsv'), 200);
    assert.equal(find('sst2-dev-200.tsv')!.entry.stamp, stampBefore);
  });
});
