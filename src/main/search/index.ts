// Search (DESIGN.md §7): what the folder offers to the composition root.
//   - keyword: FTS5 bm25 over memories, conversations and segments (keyword.ts, query.ts);
//   - semantic: cosine over stored vectors of the provider's model, through an in-memory binary
//     index above 2,000 vectors (semantic.ts, vector-index.ts, hamming-simd.ts, vectors.ts);
//   - hybrid: reciprocal-rank fusion of the two (hybrid.ts);
//   - providers: Gemini, Ollama and a deterministic hashed embedder behind one port (providers/);
//   - embedPending: fills in missing or stale vectors, batch by batch (embed.ts).
// Semantic and hybrid fall back to keyword results with a notice, never an error, when there is no
// provider, no vector yet for its model, or the provider fails on the query.
import type { SearchFilters, SearchMode, SearchResponse } from '../../shared/models';
import type { Db } from '../db/open';
import { fuse, type FusableKeyword } from './hybrid';
import { candidateId, keywordHit, keywordSearch, rankKeyword } from './keyword';
import { parseQuery } from './query';
import { INDEXING_NOTICE } from './segment-index';
import { modelKey, type EmbeddingProvider } from './providers/port';
import { hasVectors, prepareSemantic, semanticSearch } from './semantic';

export { keywordSearch, parseSnippet, DEFAULT_CANDIDATE_CAP } from './keyword';
export { parseQuery } from './query';
export { embedPending, pendingCount } from './embed';
export type { EmbeddingProvider } from './providers/port';

export interface SearchArgs {
  query: string;
  mode: SearchMode;
  filters: SearchFilters;
  limit: number;
  offset: number;
  prefix: boolean;
}

/** How deep each list goes before fusion: deeper than a page, so fusion can reorder. */
const FUSION_DEPTH = 50;

export const NO_PROVIDER_NOTICE = 'Semantic search needs an embedding provider (Settings); showing keyword results.';
export const NO_EMBEDDINGS_NOTICE =
  'Semantic search is not available (no embeddings in this vault yet); showing keyword results.';
export const PROVIDER_FAILED_NOTICE = 'The embedding provider did not answer; showing keyword results.';

/** Joins notices: a fallback's reason first, then that transcripts are still being indexed. */
const noticeOf = (...parts: (string | null)[]): string | null => parts.filter(Boolean).join(' ') || null;

function keywordOnly(db: Db, args: SearchArgs, notice: string | null): SearchResponse {
  const { match, items, indexing } = keywordSearch(db, args);
  return {
    mode: args.mode,
    modeUsed: 'keyword',
    notice: noticeOf(notice, indexing ? INDEXING_NOTICE : null),
    match,
    model: null,
    items,
  };
}

export async function searchWith(
  db: Db,
  provider: EmbeddingProvider | null,
  args: SearchArgs,
): Promise<SearchResponse> {
  // Nothing typed: nothing to embed either.
  if (args.mode === 'keyword' || args.query.trim() === '') return keywordOnly(db, args, null);
  if (!provider) return keywordOnly(db, args, NO_PROVIDER_NOTICE);
  const model = modelKey(provider);
  if (!hasVectors(db, model)) return keywordOnly(db, args, NO_EMBEDDINGS_NOTICE);
  let vector: Float32Array;
  try {
    [vector] = (await provider.embed([args.query], 'query')) as [Float32Array];
  } catch {
    return keywordOnly(db, args, PROVIDER_FAILED_NOTICE);
  }
  await prepareSemantic(db, model);
  // Semantic mode needs only the page; hybrid takes both lists deeper so fusion can reorder.
  const depth = args.mode === 'semantic' ? args.offset + args.limit : Math.max(FUSION_DEPTH, args.offset + args.limit);
  const semantic = semanticSearch(db, { vector, model, filters: args.filters, limit: depth });
  if (args.mode === 'semantic') {
    return {
      mode: args.mode,
      modeUsed: args.mode,
      notice: null,
      match: parseQuery(args.query, { prefix: args.prefix }).match,
      model,
      items: semantic.slice(args.offset, args.offset + args.limit),
    };
  }
  const keyword = rankKeyword(db, { ...args, offset: 0, limit: depth });
  const fusable = keyword.candidates.map((c): FusableKeyword => ({
    kind: c.k.kind,
    id: candidateId(db, c),
    rank: c.rank,
    hit: () => keywordHit(db, keyword, c),
  }));
  return {
    mode: args.mode,
    modeUsed: args.mode,
    notice: keyword.indexing ? INDEXING_NOTICE : null,
    match: keyword.match,
    model,
    items: fuse(fusable, semantic, args.offset, args.limit),
  };
}
