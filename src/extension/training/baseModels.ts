/** The base models the wizard offers (Hub ids and their usual names) and the from-scratch sizes. Free of `vscode`. */
import { FAMILIES, type FamilyName } from '../../shared/families';

export interface BaseModel {
  id: string;
  label: string;
  family: FamilyName;
  detail: string;
}

/** A short list, grouped by family in this order; any Hub id or folder of these families can be typed in too. */
export const BASE_MODELS: BaseModel[] = [
  { id: 'google/bert_uncased_L-2_H-128_A-2', label: 'bert-tiny', family: 'bert', detail: '4.4M parameters, English: seconds per epoch on small data' },
  { id: 'google/bert_uncased_L-4_H-256_A-4', label: 'bert-mini', family: 'bert', detail: '11M parameters, English: a good first choice on a CPU' },
  { id: 'google/bert_uncased_L-4_H-512_A-8', label: 'bert-small', family: 'bert', detail: '29M parameters, English' },
  { id: 'google/bert_uncased_L-8_H-512_A-8', label: 'bert-medium', family: 'bert', detail: '41M parameters, English' },
  { id: 'bert-base-uncased', label: 'bert-base', family: 'bert', detail: '110M parameters, English: slow without a GPU' },
  { id: 'distilbert-base-uncased', label: 'distilbert-base', family: 'distilbert', detail: '66M parameters, English: bert-base quality at twice its speed' },
  { id: 'google/electra-small-discriminator', label: 'electra-small', family: 'electra', detail: '14M parameters, English: the strongest small model' },
  { id: 'google/electra-base-discriminator', label: 'electra-base', family: 'electra', detail: '110M parameters, English' },
  { id: 'roberta-base', label: 'roberta-base', family: 'roberta', detail: '125M parameters, English: often better than bert-base' },
  { id: 'xlm-roberta-base', label: 'xlm-roberta-base', family: 'roberta', detail: '278M parameters, about 100 languages: for text that is not English' },
  {
    id: 'answerdotai/ModernBERT-base',
    label: 'ModernBERT-base',
    family: 'modernbert',
    detail: '149M parameters, English and code, up to 8,192 tokens: for long texts',
  },
];

/** The family's title as the model list groups it ("RoBERTa"). */
export function familyGroup(family: FamilyName): string {
  return FAMILIES[family].title;
}

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
