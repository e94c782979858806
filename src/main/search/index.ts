// Search (DESIGN.md §7): what the folder offers to the composition root.
//   - keyword: FTS5 bm25 over memories, conversations and segments (keyword.ts, query.ts);
//   - semantic: cosine over stored vectors of the provider's model, through an in-memory binary
//     index above 2,000 vectors (semantic.ts, vector-index.ts, hamming-simd.ts, vectors.ts);
//   - hybrid: reciprocal-rank fusion of the two (hybrid.ts);
//   - the search worker: ranks some kinds on its own connection while this thread ranks the others
//     (ranker.ts, worker.ts; which kinds: OFFLOAD below);
//   - providers: Gemini, Ollama and a deterministic hashed embedder behind one port (providers/);
//   - embedPending: fills in missing or stale vectors, batch by batch (embed.ts).
// Semantic and hybrid fall back to keyword results with a notice, never an error, when there is no
// provider, no vector yet for its model, or the provider fails on the query.
import type { SearchFilters, SearchKind, SearchMode, SearchResponse } from '../../shared/models';
import type { Db } from '../db/open';
import { fuse, type FusableKeyword } from './hybrid';
import {
  candidateId,
  keywordHit,
  keywordPage,
  rankKeyword,
  rankKeywordWith,
  type KeywordArgs,
  type KeywordRanking,
} from './keyword';
import { parseQuery } from './query';
import type { Ranker } from './ranker';
import { INDEXING_NOTICE } from './segment-index';
import { modelKey, type EmbeddingProvider } from './providers/port';
import { hasVectors, prepareSemantic, semanticSearch } from './semantic';

export { keywordSearch, parseSnippet, DEFAULT_CANDIDATE_CAP } from './keyword';
export { parseQuery } from './query';
export { createRanker, type Ranker } from './ranker';
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

/**
 * Which kinds the search worker ranks while this thread ranks the rest. Measured on the
 * 1,000,000-memory bench vault, the 800,000 transcript segments cost about as much as memories and
 * conversations together; hybrid also scores the semantic list on this thread meanwhile (~25 ms
 * there), so it hands conversations over as well.
 */
const OFFLOAD: Record<'keyword' | 'hybrid', readonly SearchKind[]> = {
  keyword: ['segment'],
  hybrid: ['segment', 'conversation'],
};

/** Keyword ranking, with a ready worker's share on the worker; returns once this thread's share is done. */
function ranking(
  db: Db,
  args: KeywordArgs,
  ranker: Ranker | null,
  mode: 'keyword' | 'hybrid',
): Promise<KeywordRanking> {
  if (!ranker || ranker.state !== 'ready') return Promise.resolve(rankKeyword(db, args));
  return rankKeywordWith(db, args, ranker.rank, OFFLOAD[mode]);
}

async function keywordOnly(
  db: Db,
  args: SearchArgs,
  notice: string | null,
  ranker: Ranker | null,
): Promise<SearchResponse> {
  const { match, items, indexing } = keywordPage(db, await ranking(db, args, ranker, 'keyword'), args.offset);
  return {
    mode: args.mode,
    modeUsed: 'keyword',
    notice: noticeOf(notice, indexing ? INDEXING_NOTICE : null),
    match,
    model: null,
    items,
  };
}

/** `ranker`: the search worker, when the host runs one (ranker.ts); results are the same without. */
export async function searchWith(
  db: Db,
  provider: EmbeddingProvider | null,
  args: SearchArgs,
  ranker: Ranker | null = null,
): Promise<SearchResponse> {
  // Nothing typed: nothing to embed either.
  if (args.mode === 'keyword' || args.query.trim() === '') return keywordOnly(db, args, null, ranker);
  if (!provider) return keywordOnly(db, args, NO_PROVIDER_NOTICE, ranker);
  const model = modelKey(provider);
  if (!hasVectors(db, model)) return keywordOnly(db, args, NO_EMBEDDINGS_NOTICE, ranker);
  let vector: Float32Array;
  try {
    [vector] = (await provider.embed([args.query], 'query')) as [Float32Array];
  } catch {
    return keywordOnly(db, args, PROVIDER_FAILED_NOTICE, ranker);
  }
  await prepareSemantic(db, model);
  // Semantic mode needs only the page; hybrid takes both lists deeper so fusion can reorder.
  const depth = args.mode === 'semantic' ? args.offset + args.limit : Math.max(FUSION_DEPTH, args.offset + args.limit);
  const semanticArgs = { vector, model, filters: args.filters, limit: depth };
  if (args.mode === 'semantic') {
    return {
      mode: args.mode,
      modeUsed: args.mode,
      notice: null,
      match: parseQuery(args.query, { prefix: args.prefix }).match,
      model,
      items: semanticSearch(db, semanticArgs).slice(args.offset, args.offset + args.limit),
    };
  }
  // The worker ranks its kinds while this thread ranks the others and then the semantic list.
  const pending = ranking(db, { ...args, offset: 0, limit: depth }, ranker, 'hybrid');
  const semantic = semanticSearch(db, semanticArgs);
  const keyword = await pending;
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
