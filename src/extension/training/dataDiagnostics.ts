/**
 * The lines of a run's data findings in the Problems panel: one entry per skipped row, per row
 * of a text with two labels, per validation row that repeats a training row, each a click away
 * from its line. Replaced by the next run's estimate; a file's entries go when it is saved,
 * since its lines may have moved.
 */
import * as vscode from 'vscode';
import { FINDING_KINDS, type DataFinding } from '../../shared/dataFindings';
import { findingSentence } from './estimateText';

export class DataDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('bert-tune-data');
  private readonly onSave = vscode.workspace.onDidSaveTextDocument(doc => this.collection.delete(doc.uri));

  /** Shows these findings' lines instead of the last run's; returns the first line's place. */
  show(findings: readonly DataFinding[]): { uri: vscode.Uri; line: number } | undefined {
    this.collection.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    let first: { uri: vscode.Uri; line: number } | undefined;
    for (const f of findings) {
      const kind = FINDING_KINDS[f.kind];
      const list = byFile.get(f.file) ?? [];
      for (const line of f.lines) {
        const range = new vscode.Range(line - 1, 0, line - 1, Number.MAX_SAFE_INTEGER);
        const d = new vscode.Diagnostic(
          range,
          `${kind.title}. ${findingSentence(f, f.file)}`,
          kind.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information,
        );
        d.source = 'BERT Tune';
        d.code = f.kind;
        list.push(d);
      }
      byFile.set(f.file, list);
      if (!first && f.lines.length) first = { uri: vscode.Uri.file(f.file), line: f.lines[0] };
    }
    for (const [file, list] of byFile) this.collection.set(vscode.Uri.file(file), list);
    return first;
  }

  dispose(): void {
    this.onSave.dispose();
    this.collection.dispose();
  }
}
