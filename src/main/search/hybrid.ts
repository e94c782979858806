// Hybrid search: reciprocal-rank fusion (Cormack et al. 2009) of the keyword and semantic lists,
// score = sum over lists of 1 / (K + rank). RRF needs no calibration between bm25 and cosine scales,
// which have nothing in common, and an item both lists agree on rises above items only one likes.
// K = 60 is the paper's value; it damps the difference between the first few ranks.
import type { SearchHit } from '../../shared/models';
import type { KeywordHit } from './keyword';
import type { SemanticHit } from './semantic';

export const RRF_K = 60;

/** A keyword match to fuse: its identity and rank now, its hit (a snippet query) only if shown. */
export interface FusableKeyword {
  kind: SearchHit['kind'];
  id: string;
  rank: number;
  hit(): KeywordHit;
}

interface Fused {
  keyword?: FusableKeyword;
  semantic?: SemanticHit;
  fused: number;
}

/**
 * The fused list's entries from `offset` to `offset + limit`. Ranking needs only identities and
 * ranks, so keyword hits are materialised (snippet and all) for the returned page alone.
 */
export function fuse(
  keyword: readonly FusableKeyword[],
  semantic: readonly SemanticHit[],
  offset: number,
  limit: number,
): SearchHit[] {
  const byKey = new Map<string, Fused>();
  const key = (h: { kind: string; id: string }) => `${h.kind}:${h.id}`;
  for (const h of keyword) byKey.set(key(h), { keyword: h, fused: 1 / (RRF_K + h.rank) });
  for (const h of semantic) {
    const part = 1 / (RRF_K + h.explain.vector.rank);
    const seen = byKey.get(key(h));
    if (seen) {
      seen.semantic = h;
      seen.fused += part;
    } else byKey.set(key(h), { semantic: h, fused: part });
  }
  const bestRank = (f: Fused) => Math.min(f.keyword?.rank ?? Infinity, f.semantic?.explain.vector.rank ?? Infinity);
  return [...byKey.values()]
    .sort((a, b) => b.fused - a.fused || bestRank(a) - bestRank(b))
    .slice(offset, offset + limit)
    .map((f): SearchHit => {
      // A keyword hit keeps its snippet: it has highlights.
      const base: SearchHit = f.keyword ? f.keyword.hit() : f.semantic!;
      const vector = f.semantic?.explain.vector ?? base.explain.vector;
      return { ...base, score: f.fused, explain: { ...base.explain, vector, fused: f.fused } };
    });
}
