/**
 * How the rows of a batch are shared among gradient workers. Any partition gives the same
 * gradient (the loss coefficients carry each row's weight), so choose the one that finishes
 * first: each worker pads only to its own longest row, and a row of L tokens costs about
 * L + L²/(3·hidden) (the dense layers, then attention's two products). Sorted by length and
 * cut into contiguous runs, short rows travel in larger groups than long ones, and no worker
 * pays for padding to the batch's longest row unless it holds it.
 */

/** Token count of each row: its attention mask's ones. */
export function rowLengths(mask: number[][]): number[] {
  return mask.map(r => r.reduce((a, x) => a + x, 0));
}

/**
 * Row indices for each of `workers` shares (some may be empty), minimising the largest share's
 * cost = rows × cost(its longest row).
 */
export function shareRows(lengths: number[], workers: number, hidden: number): number[][] {
  const cost = (len: number) => len + (len * len) / (3 * hidden);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  // Greedy from the longest: the fewest contiguous runs whose cost stays within `limit`.
  const runs = (limit: number): number[][] | undefined => {
    const out: number[][] = [];
    let i = 0;
    while (i < order.length) {
      const per = cost(lengths[order[i]]);
      const take = Math.max(1, Math.floor(limit / per + 1e-9));
      out.push(order.slice(i, i + take));
      i += take;
      if (out.length > workers) return undefined;
    }
    return out;
  };
  // The best limit is one of the candidate costs k × cost(row i): search them in order.
  const candidates = new Set<number>();
  order.forEach(i => {
    for (let k = 1; k <= order.length; k++) candidates.add(k * cost(lengths[i]));
  });
  const sorted = [...candidates].sort((a, b) => a - b);
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (runs(sorted[mid])) hi = mid;
    else lo = mid + 1;
  }
  const best = order.length ? runs(sorted[lo])! : [];
  while (best.length < workers) best.push([]);
  return best.map(run => run.sort((a, b) => a - b));
}
