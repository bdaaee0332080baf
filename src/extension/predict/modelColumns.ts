/**
 * Which columns a model reads. A model trained on sentence pairs must get both texts when it
 * predicts or is evaluated: given one, it answers, and answers worse, without a word (AG News'
 * title + description: 85.4 % against 83.1 %). A run's checkpoint knows its columns from the
 * run's train-config.json; for any other model the user is asked, when the file has a column
 * that could be its second text. Free of `vscode`: the command asks (pairColumnPrompt.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ColumnInfo, DatasetInfo } from '../../shared/dataset';
import { RUN_FILES, readRunConfig } from '../../shared/runFolder';

export interface TrainedColumns {
  textCol: string;
  pairCol?: string;
  labelCol: string;
}

/** The columns of the run whose checkpoint `modelRef` is (…/<run>/checkpoints/best or last), or undefined. */
export function trainedColumns(modelRef: string): TrainedColumns | undefined {
  const parent = path.dirname(modelRef);
  if (path.basename(parent) !== RUN_FILES.checkpoints) return undefined;
  const runDir = path.dirname(parent);
  if (!fs.existsSync(path.join(runDir, RUN_FILES.config))) return undefined;
  try {
    const { textCol, pairCol, labelCol } = readRunConfig(runDir);
    return { textCol, pairCol, labelCol };
  } catch {
    return undefined;
  }
}

/** Columns that could hold a second text: not the text itself, not labels, ids or numbers. */
export function pairCandidates(info: DatasetInfo, textCol: string, labelCol?: string): ColumnInfo[] {
  return info.columns.filter(c => c.name !== textCol && c.name !== labelCol && !c.numeric && c.role !== 'label' && c.role !== 'id' && c.meanLength >= 15);
}

/** What to do about the second text: use a column (or none), or ask, with the question and the columns to offer, likely ones first. */
export type PairPlan = { use: string | undefined } | { ask: { question: string; columns: string[]; trainedOnPairs: boolean } };

/** `given`: the caller knows the column (null: none); left out, the run decides, or the user. */
export function planPairColumn(modelRef: string, info: DatasetInfo, textCol: string, labelCol: string | undefined, given?: string | null): PairPlan {
  if (given !== undefined) return { use: given ?? undefined };
  const trained = trainedColumns(modelRef);
  if (trained && !trained.pairCol) return { use: undefined };
  if (trained?.pairCol && info.columns.some(c => c.name === trained.pairCol)) return { use: trained.pairCol };
  const candidates = pairCandidates(info, textCol, labelCol);
  if (!trained && !candidates.length) return { use: undefined };
  const rest = info.columns.filter(c => c.name !== textCol && c.name !== labelCol && !candidates.includes(c));
  return {
    ask: {
      question: trained
        ? `The model was trained on pairs, their second text in "${trained.pairCol}", which this file lacks: which column holds it?`
        : 'Was the model trained on sentence pairs? Its second text column:',
      columns: [...candidates, ...rest].map(c => c.name),
      trainedOnPairs: Boolean(trained),
    },
  };
}
