/** "Predict a CSV column": a new CSV beside the file, with the predicted label and confidence of each row. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../context';
import { predictionsPath } from './predictionsPath';
import { currentSettings } from '../config';
import { count } from '../../shared/words';
import { trainedColumns } from './modelColumns';
import { pairColumnFor } from './pairColumnPrompt';

export interface PredictCsvPreset {
  textCol?: string;
  /** The second text column of a pair model; null: none. Left out: the model's run says, or the user is asked. */
  pairCol?: string | null;
  probabilities?: boolean;
}

export async function predictCsvColumn(ctx: Ctx, uri: vscode.Uri, preset: PredictCsvPreset = {}): Promise<string | undefined> {
  const model = ctx.activeModel.current;
  if (!model) {
    const a = await vscode.window.showInformationMessage('Choose the model to predict with first.', 'Choose model');
    if (a) await vscode.commands.executeCommand('bertTune.setActiveModel');
    return undefined;
  }
  const inspected = await ctx.inspector.inspect(uri.fsPath);
  if (inspected.status !== 'ready') return undefined;
  const info = inspected.info;
  const trained = trainedColumns(model.ref);
  const title = `Predict a column of ${path.basename(uri.fsPath)} with ${model.name}`;
  let textCol = preset.textCol ?? (trained && info.columns.some(c => c.name === trained.textCol) ? trained.textCol : undefined);
  if (!textCol) {
    const pick = await vscode.window.showQuickPick(
      info.columns
        .map(c => ({ label: c.name, description: c.role === 'text' ? 'likely text' : undefined }))
        .sort((a, b) => Number(Boolean(b.description)) - Number(Boolean(a.description))),
      { title, placeHolder: 'Which column holds the texts?' },
    );
    if (!pick) return undefined;
    textCol = pick.label;
  }
  const pairCol = await pairColumnFor(model.ref, info, textCol, trained?.labelCol, title, preset.pairCol);
  if (pairCol === 'cancelled') return undefined;
  let probabilities = preset.probabilities;
  if (probabilities === undefined) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Label and confidence', probabilities: false },
        { label: "Label, confidence and each label's probability", probabilities: true },
      ],
      { title: 'Columns to add' },
    );
    if (!choice) return undefined;
    probabilities = choice.probabilities;
  }
  const out = predictionsPath(uri.fsPath);
  const total = info.rows;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Predicting ${path.basename(uri.fsPath)}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let last = 0;
      try {
        return await ctx.inference.predictFile(
          {
            model: model.ref,
            file: uri.fsPath,
            textCol: textCol!,
            pairCol,
            out,
            probabilities: probabilities!,
            maxLength: currentSettings().predict.maxLength,
          },
          rows => {
            progress.report({
              increment: total ? (100 * (rows - last)) / total : undefined,
              message: `${rows.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows`,
            });
            last = rows;
          },
          abort.signal,
        );
      } catch (e) {
        void vscode.window.showErrorMessage(`Predicting ${path.basename(uri.fsPath)} failed: ${(e as Error).message}`);
        return undefined;
      }
    },
  );
  if (!result) return undefined;
  if (result.cancelled) {
    void vscode.window.showInformationMessage(`Cancelled after ${count(result.rows, 'row')}; nothing was written.`);
    return undefined;
  }
  result.warnings.forEach(w => ctx.output.warn(w));
  const skipped = result.skipped
    ? ` ${result.skipped.toLocaleString('en-US')} of them could not be predicted (an empty text, or cells that do not line up with the header): their prediction_note column says why.`
    : '';
  void vscode.window
    .showInformationMessage(
      `Wrote ${count(result.rows, 'row')} with predictions to ${path.basename(out)}, one for each row of ${path.basename(uri.fsPath)}.${skipped}`,
      'Open',
    )
    .then(a => {
      if (a) void vscode.window.showTextDocument(vscode.Uri.file(out));
    });
  return out;
}
