/** The base models the wizard offers (Hub ids and their usual names) and the from-scratch sizes. Free of `vscode`. */
export const BASE_MODELS: { id: string; label: string; detail: string }[] = [
  { id: 'google/bert_uncased_L-2_H-128_A-2', label: 'bert-tiny', detail: '4.4M parameters: seconds per epoch on small data' },
  { id: 'google/bert_uncased_L-4_H-256_A-4', label: 'bert-mini', detail: '11M parameters: a good first choice on a CPU' },
  { id: 'google/bert_uncased_L-4_H-512_A-8', label: 'bert-small', detail: '29M parameters' },
  { id: 'google/bert_uncased_L-8_H-512_A-8', label: 'bert-medium', detail: '41M parameters' },
  { id: 'bert-base-uncased', label: 'bert-base', detail: '110M parameters: best results, slow without a GPU' },
];

export const SCRATCH_SIZES = [
  { label: 'tiny (2 layers, hidden 128)', layers: 2, hidden: 128, heads: 2, intermediate: 512 },
  { label: 'mini (4 layers, hidden 256)', layers: 4, hidden: 256, heads: 4, intermediate: 1024 },
  { label: 'small (4 layers, hidden 512)', layers: 4, hidden: 512, heads: 8, intermediate: 2048 },
];

/** A model reference as a person names it: bert-mini for its Hub id, a folder's name, "from scratch" for a run's own base model. */
export function modelLabel(ref: string): string {
  const known = BASE_MODELS.find(m => m.id === ref);
  if (known) return known.label;
  const last = ref.split(/[\\/]/).filter(Boolean).pop() ?? ref;
  return last === 'base-model' ? 'from scratch' : last;
}
