/**
 * CSV injection: a spreadsheet runs a cell that begins with one of these as a formula
 * (`=HYPERLINK(...)`, `@SUM(...)`, DDE through `+`/`-`), so every CSV BERT Tune writes prefixes
 * such a cell with `'`, the escape spreadsheets expect (OWASP's list, csv-stringify's
 * `escape_formulas`). Cells come from users' data and label names from models that anyone may
 * publish on the Hub, so neither is trusted.
 */
import type { Options } from 'csv-stringify';

export const FORMULA_TRIGGERS = ['=', '+', '-', '@', '\t', '\r'] as const;

/** csv-stringify's options for a CSV a person may open in a spreadsheet. */
export const SPREADSHEET_SAFE: Options = { escape_formulas: true };

/**
 * The escape made reversible, for a CSV that a program of ours reads back (the export's
 * train.csv, read by its train.py): a cell that starts with a trigger or with `'` gains one
 * leading `'`, so dropping one leading `'` from every cell that has one restores it exactly.
 */
export function escapeFormulaReversibly(cell: string): string {
  return cell.startsWith("'") || FORMULA_TRIGGERS.some(t => cell.startsWith(t)) ? `'${cell}` : cell;
}

export function unescapeFormula(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}
