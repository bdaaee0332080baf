/** Numbers as the panels write them; no DOM here, so the panels' state modules (and their tests) can use it. */
export const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits)}%`;
