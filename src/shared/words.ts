/** A count and its noun as a person writes it: "1 row", "2,000 rows", "1 class", "3 classes". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? singular : plural}`;
}
