/**
 * "Evaluate on a Labelled File": a model (the one predictions use, or a run's) on a CSV/TSV/JSONL
 * with labels, in the inference process, with progress and cancel; the result in an evaluation
 * panel: accuracy, macro-F1, loss, per-class table, confusion matrix, the wrong rows.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetInfo } from '../../shared/dataset';
import type { Evaluated } from '../../shared/webviews/evaluationPanelProtocol';
import { currentSettings } from '../config';
import type { Ctx } from '../context';
import type { ModelRef } from './activeModel';
import { trainedColumns } from './modelColumns';
import { pairColumnFor } from './pairColumnPrompt';

export interface EvaluatePreset {
  model?: ModelRef;
  textCol?: string;
  /** The second text column of a pair model; null: none. Left out: the model's run says, or the user is asked. */
  pairCol?: string | null;
  labelCol?: string;
}

export async function evaluateLabelledFile(ctx: Ctx, uri: vscode.Uri, preset: EvaluatePreset = {}): Promise<Evaluated | undefined> {
  const model = preset.model ?? ctx.activeModel.current;
  if (!model) {
    const a = await vscode.window.showInformationMessage(
      'Choose the model to evaluate first: a run (Use for Predictions), a folder or a Hub id.',
      'Choose model',
    );
    if (a) await vscode.commands.executeCommand('bertTune.setActiveModel');
    return undefined;
  }
  const file = uri.fsPath;
  const inspected = await ctx.inspector.inspect(file);
  if (inspected.status !== 'ready') return undefined;
  const info = inspected.info;
  const fatal = info.problems.find(p => p.severity === 'error');
  if (fatal) {
    void vscode.window.showErrorMessage(`Cannot evaluate on ${path.basename(file)}: ${fatal.message}`);
    return undefined;
  }
  const title = `Evaluate ${model.name} on ${path.basename(file)}`;
  // A run's model brings its own columns, where the file has them (a held-out test set usually does).
  const trained = trainedColumns(model.ref);
  const textCol = await column(info, preset.textCol ?? trained?.textCol, 'text', title, 'Which column holds the texts?');
  if (!textCol) return undefined;
  const labelCol = await column(info, preset.labelCol ?? trained?.labelCol, 'label', title, 'Which column holds the true labels?', textCol);
  if (!labelCol) return undefined;
  // A pair model gets both texts: the run's second column, or the one the user names.
  const pairCol = await pairColumnFor(model.ref, info, textCol, labelCol, title, preset.pairCol);
  if (pairCol === 'cancelled') return undefined;
  return runEvaluation(ctx, { modelName: model.name, modelRef: model.ref, file, textCol, pairCol, labelCol }, info.rows);
}

/** Evaluates and shows the result; also what the panel's "Evaluate again" does. */
export async function runEvaluation(ctx: Ctx, what: Omit<Evaluated, 'at' | 'evaluation'>, expectedRows?: number): Promise<Evaluated | undefined> {
  const name = path.basename(what.file);
  let failure: string | undefined;
  const evaluation = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Evaluating ${what.modelName} on ${name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let last = 0;
      progress.report({ message: expectedRows ? `reading ${expectedRows.toLocaleString('en-US')} rows…` : 'reading the file…' });
      try {
        return await ctx.inference.evaluateFile(
          {
            model: what.modelRef,
            file: what.file,
            textCol: what.textCol,
            pairCol: what.pairCol,
            labelCol: what.labelCol,
            maxLength: currentSettings().predict.maxLength,
          },
          (rows, total) => {
            progress.report({
              increment: total ? (100 * (rows - last)) / total : undefined,
              message: `${rows.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows`,
            });
            last = rows;
          },
          abort.signal,
        );
      } catch (e) {
        failure = (e as Error).message;
        return undefined;
      }
    },
  );
  if (failure) {
    ctx.output.error(`evaluation of ${what.modelRef} on ${what.file} failed: ${failure}`);
    void vscode.window.showErrorMessage(`Could not evaluate ${what.modelName} on ${name}: ${failure}`, 'Show log').then(a => {
      if (a) ctx.output.show();
    });
    return undefined;
  }
  if (!evaluation) return undefined; // cancelled
  const evaluated: Evaluated = { ...what, at: new Date().toISOString(), evaluation };
  ctx.evaluationPanels.show(evaluated);
  return evaluated;
}

/** A column: the preset one when the file has it, else picked, the likely one first. */
async function column(
  info: DatasetInfo,
  preset: string | undefined,
  role: 'text' | 'label',
  title: string,
  placeHolder: string,
  exclude?: string,
): Promise<string | undefined> {
  if (preset && info.columns.some(c => c.name === preset)) return preset;
  // A multi-label run's several 0/1 columns ("toxic,insult"), where the file has each of them.
  if (role === 'label' && preset?.includes(',') && preset.split(',').every(p => info.columns.some(c => c.name === p.trim()))) return preset;
  const items = info.columns
    .filter(c => c.name !== exclude)
    .map(c => ({
      label: c.name,
      description: c.role === role ? `likely ${role}` : undefined,
      detail: role === 'label' && c.distinct ? `${c.distinct} distinct values` : undefined,
    }))
    .sort((a, b) => Number(Boolean(b.description)) - Number(Boolean(a.description)));
  return (await vscode.window.showQuickPick(items, { title, placeHolder }))?.label;
}
