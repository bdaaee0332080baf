/**
 * Predictions where the text is: what the model's task answers after each selection (the label
 * and its confidence; the labels over their thresholds; the value), and a hover listing every
 * label's probability (predictionText.ts). Each selection (or, line by line, each line of it)
 * is predicted on its own; all of them go to the inference process in one request.
 */
import * as vscode from 'vscode';
import { hoverTable, inlineText, type PredictionContext } from './predictionText';
import { spansAfterEdits } from './rangesAfterEdit';
import type { Prediction } from '../../shared/inferenceProtocol';
import type { ActiveModel } from './activeModel';
import type { InferenceClient } from './inferenceClient';
import { currentSettings } from '../config';

interface Shown extends PredictionContext {
  range: vscode.Range;
  prediction: Prediction;
  labels: string[];
  maxLength: number;
  model: string;
}

const SELECTION_DEBOUNCE_MS = 400;

export class SelectionPredictions implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 1.5em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly shown = new Map<string, Shown[]>();
  private readonly disposables: vscode.Disposable[] = [this.decoration];
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    private readonly inference: InferenceClient,
    private readonly activeModel: ActiveModel,
    private readonly log: (line: string) => void,
  ) {
    this.disposables.push(
      vscode.languages.registerHoverProvider({ scheme: '*' }, { provideHover: (doc, pos) => this.hover(doc, pos) }),
      // An edit drops the predictions of the text it touches and moves the others with their text.
      vscode.workspace.onDidChangeTextDocument(e => e.contentChanges.length && this.afterEdit(e)),
      vscode.window.onDidChangeTextEditorSelection(e => this.onSelection(e)),
      activeModel.onDidChange(() => vscode.window.visibleTextEditors.forEach(ed => this.clear(ed.document))),
    );
  }

  /** What is shown in a document (tests read it). */
  predictionsFor(doc: vscode.TextDocument): readonly Shown[] {
    return this.shown.get(doc.uri.toString()) ?? [];
  }

  async predict(editor: vscode.TextEditor, options: { lineByLine?: boolean; quiet?: boolean } = {}): Promise<readonly Shown[]> {
    const model = this.activeModel.current;
    if (!model) {
      if (!options.quiet) {
        const a = await vscode.window.showInformationMessage('Choose the model to predict with first.', 'Choose model');
        if (a) await vscode.commands.executeCommand('bertTune.setActiveModel');
      }
      return [];
    }
    const doc = editor.document;
    const ranges: vscode.Range[] = [];
    for (const sel of editor.selections) {
      const range = sel.isEmpty ? doc.lineAt(sel.active.line).range : new vscode.Range(sel.start, sel.end);
      if (options.lineByLine && range.start.line !== range.end.line) {
        for (let l = range.start.line; l <= range.end.line; l++) {
          const line = doc.lineAt(l).range.intersection(range);
          if (line && doc.getText(line).trim()) ranges.push(line);
        }
      } else if (doc.getText(range).trim()) ranges.push(range);
    }
    if (!ranges.length) return [];
    const maxLength = currentSettings().predict.maxLength;
    let answer;
    try {
      answer = await this.inference.predict(
        model.ref,
        ranges.map(r => ({ text: doc.getText(r) })),
        maxLength,
      );
    } catch (e) {
      this.log(`prediction failed: ${(e as Error).message}`);
      if (!options.quiet) void vscode.window.showErrorMessage(`BERT Tune could not predict with ${model.name}: ${(e as Error).message}`);
      return [];
    }
    const shown = ranges.map((range, i) => ({
      range,
      prediction: answer.results[i],
      labels: answer.labels,
      task: answer.task,
      thresholds: answer.thresholds,
      maxLength: answer.maxLength,
      model: model.name,
    }));
    // A new prediction of a range replaces the old one there; the others stay.
    const kept = this.predictionsFor(doc).filter(s => !shown.some(n => n.range.intersection(s.range)));
    this.shown.set(doc.uri.toString(), [...kept, ...shown]);
    this.render(doc);
    return shown;
  }

  private afterEdit(e: vscode.TextDocumentChangeEvent): void {
    const shown = this.predictionsFor(e.document);
    if (!shown.length) return;
    const spans = spansAfterEdits(
      shown.map(s => s.range),
      e.contentChanges,
    );
    const kept = shown.flatMap((s, i) => {
      const span = spans[i];
      return span ? [{ ...s, range: new vscode.Range(span.start.line, span.start.character, span.end.line, span.end.character) }] : [];
    });
    this.shown.set(e.document.uri.toString(), kept);
    this.render(e.document);
  }

  clear(doc: vscode.TextDocument): void {
    if (!this.shown.delete(doc.uri.toString())) return;
    this.render(doc);
  }

  dispose(): void {
    clearTimeout(this.debounce);
    this.disposables.forEach(d => d.dispose());
  }

  private render(doc: vscode.TextDocument): void {
    const options = this.predictionsFor(doc).map(s => ({
      range: s.range,
      renderOptions: {
        after: { contentText: `${inlineText(s.prediction, s)}${s.prediction.truncated ? ' (truncated)' : ''}` },
      },
    }));
    for (const editor of vscode.window.visibleTextEditors) if (editor.document === doc) editor.setDecorations(this.decoration, options);
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const s = this.predictionsFor(doc).find(x => x.range.contains(pos));
    if (!s) return undefined;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**BERT Tune** · `)
      .appendText(s.model)
      .appendMarkdown('\n\n' + hoverTable(s.prediction, s));
    if (s.prediction.truncated) md.appendMarkdown(`\nThe text was longer than ${s.maxLength} tokens: only its first ${s.maxLength} were read.`);
    return new vscode.Hover(md, s.range);
  }

  private onSelection(e: vscode.TextEditorSelectionChangeEvent): void {
    if (!currentSettings().predict.onSelectionChange) return;
    if (e.selections.every(s => s.isEmpty) || !this.activeModel.current || !vscode.workspace.isTrusted) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.predict(e.textEditor, { quiet: true }), SELECTION_DEBOUNCE_MS);
  }
}
