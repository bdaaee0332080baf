/** Asks for a pair model's second text column where the model's run does not say (modelColumns.ts). */
import * as vscode from 'vscode';
import type { DatasetInfo } from '../../shared/dataset';
import { planPairColumn } from './modelColumns';

const NONE = '(none: the model reads one text)';

/** The second text column, undefined for none, or 'cancelled' when the user dismissed the question. */
export async function pairColumnFor(
  modelRef: string,
  info: DatasetInfo,
  textCol: string,
  labelCol: string | undefined,
  title: string,
  given?: string | null,
): Promise<string | undefined | 'cancelled'> {
  const plan = planPairColumn(modelRef, info, textCol, labelCol, given);
  if ('use' in plan) return plan.use;
  const items = [{ label: NONE, description: plan.ask.trainedOnPairs ? 'its answers will be worse' : '' }, ...plan.ask.columns.map(label => ({ label }))];
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: plan.ask.question });
  if (!pick) return 'cancelled';
  return pick.label === NONE ? undefined : pick.label;
}
