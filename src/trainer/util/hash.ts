/** FNV-1a over UTF-16 code units: a cheap, well-spread 32-bit hash; two bases give two independent ones (a 64-bit key). */
export function fnv1a(s: string, basis = 0x811c9dc5): number {
  let h = basis;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
