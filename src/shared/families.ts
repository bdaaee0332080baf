/**
 * The encoder families BERT Tune runs, declared once: their names, the `model_type` values of
 * config.json each one reads, and how the user sees them. The trainer's family modules
 * (src/trainer/model/families/) compute them; the extension names them (Runs view, wizard).
 */

export const FAMILY_NAMES = ['bert', 'distilbert', 'roberta', 'electra', 'deberta', 'modernbert'] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

export interface FamilyInfo {
  /** As the user reads it. */
  title: string;
  /** config.json `model_type` values this family computes (transformers' classes of the same maths). */
  modelTypes: readonly string[];
}

export const FAMILIES: Record<FamilyName, FamilyInfo> = {
  bert: { title: 'BERT', modelTypes: ['bert'] },
  distilbert: { title: 'DistilBERT', modelTypes: ['distilbert'] },
  roberta: { title: 'RoBERTa', modelTypes: ['roberta', 'xlm-roberta', 'camembert'] },
  electra: { title: 'ELECTRA', modelTypes: ['electra'] },
  deberta: { title: 'DeBERTa', modelTypes: ['deberta-v2'] },
  modernbert: { title: 'ModernBERT', modelTypes: ['modernbert'] },
};

/** model_type as written in config.json → its family; undefined when BERT Tune has none for it. */
export function familyOfModelType(modelType: string): FamilyName | undefined {
  return FAMILY_NAMES.find(f => FAMILIES[f].modelTypes.includes(modelType));
}

/** "bert, distilbert, roberta, xlm-roberta, camembert, electra": for messages that refuse a model. */
export function supportedModelTypes(): string {
  return FAMILY_NAMES.flatMap(f => FAMILIES[f].modelTypes).join(', ');
}
