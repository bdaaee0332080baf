/**
 * The family table, keyed by family name (config.json's model_type maps to a name in
 * shared/families.ts). Adding a family is its module here plus its tests.
 */
import type { FamilyName } from '../../../shared/families';
import type { Family } from '../family';
import { bert } from './bert';
import { deberta } from './deberta';
import { distilbert } from './distilbert';
import { electra } from './electra';
import { modernbert } from './modernbert';
import { roberta } from './roberta';

const TABLE: Record<FamilyName, Family> = { bert, distilbert, roberta, electra, deberta, modernbert };

/** The family module of a name that shared/families.ts declares; throws for any other (a message from elsewhere). */
export function familyNamed(name: FamilyName): Family {
  const family = TABLE[name];
  if (!family) throw new Error(`unknown model family ${JSON.stringify(name)}`);
  return family;
}
