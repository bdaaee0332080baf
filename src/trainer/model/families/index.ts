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

/**
 * Built when first asked for, not when this module loads: config.ts imports this table and the
 * families import config.ts's types and helpers, so whichever module loads first, every family
 * is defined by the time a config is read.
 */
let table: Record<FamilyName, Family> | undefined;

/** The family module of a name that shared/families.ts declares; throws for any other (a message from elsewhere). */
export function familyNamed(name: FamilyName): Family {
  table ??= { bert, distilbert, roberta, electra, deberta, modernbert };
  const family = table[name];
  if (!family) throw new Error(`unknown model family ${JSON.stringify(name)}`);
  return family;
}
