/**
 * What the dataset inspector learns about one CSV/TSV/JSONL file. Produced in the inspector
 * worker (src/trainer/data), shown by the Datasets view and the dataset summary panel.
 * Declared as zod schemas because the value crosses a thread boundary and is validated there.
 */
// zod/mini: the same schemas as zod's classic API, tree-shakable (the webview bundle stays small).
import * as z from 'zod/mini';
import { taskNameSchema } from './tasks';

/**
 * The delimiters the sniffer tries, in the order it prefers them on a tie after the file
 * extension's own: the character, its name in sentences, how the CLI's --delimiter spells it.
 */
export const DELIMITERS = [
  { char: ',', name: 'comma', flag: ',' },
  { char: '\t', name: 'tab', flag: 'tab' },
  { char: ';', name: 'semicolon', flag: ';' },
  { char: '|', name: 'pipe', flag: '|' },
] as const;
export type Delimiter = (typeof DELIMITERS)[number]['char'];
export const delimiterSchema = z.enum(DELIMITERS.map(d => d.char) as [Delimiter, ...Delimiter[]]);

export const datasetFormatSchema = z.enum(['csv', 'jsonl']);
export type DatasetFormat = z.infer<typeof datasetFormatSchema>;

/**
 * The files the Datasets view lists and the trainer reads, by extension: a format and, for
 * delimited text, the delimiter the sniffer prefers on a tie.
 */
export const DATASET_EXTENSIONS = {
  '.csv': { format: 'csv', delimiter: ',' },
  '.tsv': { format: 'csv', delimiter: '\t' },
  '.jsonl': { format: 'jsonl', delimiter: ',' },
} as const satisfies Record<string, { format: DatasetFormat; delimiter: Delimiter }>;

/** The workspace glob that finds every dataset file (.csv, .tsv, .jsonl). */
export const DATASET_GLOB = `**/*.{${Object.keys(DATASET_EXTENSIONS)
  .map(e => e.slice(1))
  .join(',')}}`;

/** What a file is by its name; a name with no known extension reads as comma-separated. */
export function datasetKind(file: string): { format: DatasetFormat; delimiter: Delimiter } {
  const dot = file.lastIndexOf('.');
  const ext = dot > Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) ? file.slice(dot).toLowerCase() : '';
  return (DATASET_EXTENSIONS as Record<string, { format: DatasetFormat; delimiter: Delimiter }>)[ext] ?? DATASET_EXTENSIONS['.csv'];
}

/** A --delimiter value (`,` `tab` `\t` `;` `|`, or a name such as `semicolon`) as its character; undefined for none. */
export function delimiterFromFlag(value: string | undefined): Delimiter | string | undefined {
  if (value === undefined) return undefined;
  if (value === '\\t') return '\t';
  return DELIMITERS.find(d => d.flag === value || d.name === value || d.char === value)?.char ?? value;
}

export const encodingSchema = z.enum(['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'latin1']);
export type Encoding = z.infer<typeof encodingSchema>;

/** A guess of what a column is for, used to pre-select text and label columns. */
export const columnRoleSchema = z.enum(['text', 'label', 'id', 'other']);
export type ColumnRole = z.infer<typeof columnRoleSchema>;

export const columnInfoSchema = z.object({
  /** Header name, or "column N" (1-based) when the file has no header. */
  name: z.string(),
  /** Rows with a non-empty value in this column. */
  filled: z.int().check(z.nonnegative()),
  /** Mean length in characters of the non-empty values. */
  meanLength: z.number().check(z.nonnegative()),
  /** Distinct values; when `distinctCapped`, counting stopped there (too many, or too long to be labels) and this is a lower bound. */
  distinct: z.int().check(z.nonnegative()),
  distinctCapped: z.boolean(),
  /** All non-empty values are numbers. */
  numeric: z.boolean(),
  role: columnRoleSchema,
  /** Value counts, most frequent first: only for columns with few distinct values. */
  valueCounts: z.optional(z.array(z.tuple([z.string(), z.int().check(z.nonnegative())]))),
});
export type ColumnInfo = z.infer<typeof columnInfoSchema>;

export const problemSeveritySchema = z.enum(['error', 'warning']);

export const datasetProblemSchema = z.object({
  severity: problemSeveritySchema,
  message: z.string(),
  /** 1-based physical line of the file the problem starts on, where there is one. */
  line: z.optional(z.int().check(z.positive())),
});
export type DatasetProblem = z.infer<typeof datasetProblemSchema>;

/** What the file's labels propose the model learn (shared/taskProposal.ts), and how its targets read as that task. */
export const datasetTaskSchema = z.object({
  task: taskNameSchema,
  why: z.string(),
  /** The label column, or several 0/1 columns. */
  labelColumns: z.array(z.string()),
  labelSep: z.optional(z.string()),
  /** "0.8 labels a row; 12 rows with none", "from 0 to 5, mean 2.4": absent until the rows are read. */
  summary: z.optional(z.string()),
});
export type DatasetTask = z.infer<typeof datasetTaskSchema>;

export const datasetInfoSchema = z.object({
  format: datasetFormatSchema,
  /** Only for CSV-like files. */
  delimiter: z.optional(delimiterSchema),
  /** Only for CSV-like files: whether `"` quotes fields. Off for TSVs like GLUE's, whose texts hold bare quotes. */
  quoting: z.optional(z.boolean()),
  hasHeader: z.boolean(),
  encoding: encodingSchema,
  /** Data rows, the header excluded. */
  rows: z.int().check(z.nonnegative()),
  columns: z.array(columnInfoSchema),
  problems: z.array(datasetProblemSchema),
  sizeBytes: z.int().check(z.nonnegative()),
  /** The first data rows, their cells in the columns' order and cut to 200 characters: the Dataset Summary shows them. */
  sample: z.optional(z.array(z.object({ line: z.int().check(z.positive()), cells: z.array(z.string()) }))),
  /** The task its labels propose (absent where no column looks like labels). */
  task: z.optional(datasetTaskSchema),
  /** The likely text column's texts by words: `rows[i]` have at most `edges[i]` words (more than `edges[i - 1]`), the last bin the longer ones. */
  textLengths: z.optional(
    z.object({
      column: z.string(),
      edges: z.array(z.int().check(z.positive())),
      rows: z.array(z.int().check(z.nonnegative())),
    }),
  ),
});
export type DatasetInfo = z.infer<typeof datasetInfoSchema>;

export function delimiterName(d: Delimiter | undefined): string {
  return DELIMITERS.find(x => x.char === d)?.name ?? 'none';
}

/** The column most likely to hold the text to classify, or undefined. */
export function likelyTextColumn(info: Pick<DatasetInfo, 'columns'>): ColumnInfo | undefined {
  return info.columns.find(c => c.role === 'text');
}

/** The column most likely to hold the labels, or undefined. */
export function likelyLabelColumn(info: Pick<DatasetInfo, 'columns'>): ColumnInfo | undefined {
  return info.columns.find(c => c.role === 'label');
}
