// Hybrid search: reciprocal-rank fusion (Cormack et al. 2009) of the keyword and semantic lists,
// score = sum over lists of 1 / (K + rank). RRF needs no calibration between bm25 and cosine scales,
// which have nothing in common, and an item both lists agree on rises above items only one likes.
// K = 60 is the paper's value; it damps the difference between the first few ranks.
import type { SearchHit } from '../../shared/models';
import type { KeywordHit } from './keyword';
import type { SemanticHit } from './semantic';

export const RRF_K = 60;

export function fuse(keyword: readonly KeywordHit[], semantic: readonly SemanticHit[]): SearchHit[] {
  const byKey = new Map<string, SearchHit>();
  const key = (h: SearchHit) => `${h.kind}:${h.id}`;
  for (const h of keyword) {
    byKey.set(key(h), { ...h, explain: { ...h.explain, fused: 1 / (RRF_K + h.explain.keyword.rank) } });
  }
  for (const h of semantic) {
    const part = 1 / (RRF_K + h.explain.vector.rank);
    const seen = byKey.get(key(h));
    if (seen) {
      // Keep the keyword hit's snippet: it has highlights.
      seen.explain = { ...seen.explain, vector: h.explain.vector, fused: (seen.explain.fused ?? 0) + part };
    } else {
      byKey.set(key(h), { ...h, explain: { ...h.explain, fused: part } });
    }
  }
  const bestRank = (h: SearchHit) => Math.min(h.explain.keyword?.rank ?? Infinity, h.explain.vector?.rank ?? Infinity);
  return [...byKey.values()]
    .sort((a, b) => (b.explain.fused ?? 0) - (a.explain.fused ?? 0) || bestRank(a) - bestRank(b))
    .map((h) => ({ ...h, score: h.explain.fused ?? 0 }));
}
