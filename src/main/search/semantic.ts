// Semantic search: cosine distance between the query vector and the stored vectors of the model,
// with the same filters as keyword search applied by joining the items, and only this model's
// vectors (an older model's stay beside them during a re-embed).
//
// Small vaults are scanned exactly (sqlite-vec's vec_distance_cosine over embedding_vectors). Above
// `indexThreshold` vectors that scan costs too much (seconds at 100k in an encrypted vault), so the
// in-memory binary index (vector-index.ts) picks `RESCORED` candidates by Hamming distance, their
// float vectors are read from embedding_vectors (one page each) and scored exactly here, and they
// are joined with their items and filters. When filters leave fewer than asked for among them, ten
// times as many candidates are tried, then the exact scan over the filtered items answers (at a
// million vectors that scan takes tens of seconds: very selective filters are the slow case).
// Distances are exact either way; what the index can miss is an item whose code looked farther
// than a few hundred others (recall@10 in bench/search.bench.ts).
import type { SearchFilters, SearchHit, SearchKind } from '../../shared/models';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { activeFilters, KINDS, useSearchCache, whereFor } from './keyword';
import { hasAnyVector, indexFor, peekIndex, prepareIndex, vectorCountUpTo } from './vector-index';
import { readVectors } from './vectors';

const SNIPPET_CHARS = 200;

export interface SemanticArgs {
  vector: Float32Array;
  model: string;
  filters: SearchFilters;
  limit: number;
  /** Use the in-memory index above this many vectors of the model. */
  indexThreshold?: number;
  /** Candidates the index hands to exact re-scoring (tests and the benchmark vary it). */
  rescored?: number;
}

/** Below this many vectors the exact scan is cheap enough (~10 µs a vector) and needs no index. */
export const INDEX_THRESHOLD = 2_000;
/** Hamming candidates re-scored exactly: each is one page read from the vault. On the generated
 * 100k vault recall@10 against the exact scan was 0.982 at 100, 0.996 at 200 and 1.000 at 400. */
export const RESCORED = 400;

export interface SemanticHit extends SearchHit {
  explain: SearchHit['explain'] & { vector: { rank: number; distance: number } };
}

const ITEM: Partial<Record<SearchKind, { join: string; text: string }>> = {
  memory: { join: 'memories m ON m.pk = e.item_pk', text: 'm.content' },
  conversation: { join: 'conversations c ON c.pk = e.item_pk', text: 'c.title || char(10) || c.overview' },
};

interface Row {
  epk: number;
  id: string;
  conversationId: string | null;
  title: string | null;
  at: string;
  text: string;
  distance: number;
}

/** Whether any vector of this model is stored: without one, semantic search has nothing to search. */
export function hasVectors(db: Db, model: string): boolean {
  return hasAnyVector(db, model);
}

function cosineDistance(q: Float32Array, qNorm: number, v: Float32Array): number {
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < q.length; i++) {
    const x = v[i]!;
    dot += q[i]! * x;
    norm += x * x;
  }
  return norm === 0 || qNorm === 0 ? 1 : 1 - dot / Math.sqrt(norm * qNorm);
}

/** The index's candidates scored exactly, nearest first. */
export function rescore(db: Db, query: Float32Array, pks: readonly number[]): { pk: number; distance: number }[] {
  const vectors = readVectors(db, [...new Set(pks)]);
  let qNorm = 0;
  for (const x of query) qNorm += x * x;
  const out: { pk: number; distance: number }[] = [];
  for (const [pk, v] of vectors)
    if (v.length === query.length) out.push({ pk, distance: cosineDistance(query, qNorm, v) });
  return out.sort((a, b) => a.distance - b.distance);
}

/** Whether the model has more than `threshold` vectors: the built index knows; otherwise the database
 * counts, at most threshold + 1 rows (a full count takes a while at a million). */
function overThreshold(db: Db, model: string, threshold: number): boolean {
  const index = peekIndex(db, model);
  if (index) return index.size > threshold;
  if (!Number.isFinite(threshold)) return false;
  return vectorCountUpTo(db, model, threshold + 1) > threshold;
}

/** Gets the index ready without blocking the event loop, when this model's vectors need one. */
export async function prepareSemantic(db: Db, model: string, indexThreshold = INDEX_THRESHOLD): Promise<void> {
  if (overThreshold(db, model, indexThreshold)) await prepareIndex(db, model);
}

export function semanticSearch(db: Db, args: SemanticArgs): SemanticHit[] {
  useSearchCache(db);
  const threshold = args.indexThreshold ?? INDEX_THRESHOLD;
  if (overThreshold(db, args.model, threshold)) {
    const index = indexFor(db, args.model);
    const first = Math.max(args.rescored ?? RESCORED, args.limit * 4);
    for (const wanted of [first, first * 10]) {
      const pks = index.nearest(args.vector, wanted);
      const candidates = rescore(db, args.vector, pks);
      // Every candidate is joined (pk lookups), so filters have all of them to choose from.
      const hits = scored(db, args, new Map(candidates.map((c) => [c.pk, c.distance])));
      // Fewer candidates than asked for means the index holds no more: the hits are complete.
      if (hits.length >= args.limit || pks.length < wanted) return hits;
    }
  }
  return scored(db, args, null);
}

/** Hits for the model's vectors: all of them scored in SQL, or only these pks with their distances. */
function scored(db: Db, args: SemanticArgs, only: Map<number, number> | null): SemanticHit[] {
  const filters = activeFilters(args.filters);
  const query = Buffer.from(args.vector.buffer, args.vector.byteOffset, args.vector.byteLength);
  const found: (Row & { kind: SearchKind })[] = [];
  for (const k of KINDS) {
    const item = ITEM[k.kind];
    const where = whereFor(k, args.filters);
    if (!item || !where) continue;
    const columns = k.detail.replace(/, NULL AS startS, NULL AS endS/, '');
    let rows: Row[];
    if (only) {
      // CROSS JOIN fixes the order: start from the candidates, not from every embedding of the kind.
      rows = stmt(
        db,
        `SELECT e.pk AS epk, ${columns}, ${item.text} AS text, 0 AS distance
         FROM json_each(?) j CROSS JOIN embeddings e ON e.pk = j.value JOIN ${item.join}
         WHERE e.kind = ? AND e.model = ?${where.sql}`,
      ).all(JSON.stringify([...only.keys()]), k.kind, args.model, ...where.params) as Row[];
      for (const r of rows) r.distance = only.get(r.epk)!;
    } else {
      rows = stmt(
        db,
        `SELECT e.pk AS epk, ${columns}, ${item.text} AS text, vec_distance_cosine(v.vector, ?) AS distance
         FROM embeddings e JOIN embedding_vectors v ON v.pk = e.pk JOIN ${item.join}
         WHERE e.kind = ? AND e.model = ?${where.sql} ORDER BY distance LIMIT ?`,
      ).all(query, k.kind, args.model, ...where.params, args.limit) as Row[];
    }
    for (const r of rows) found.push({ ...r, kind: k.kind });
  }
  found.sort((a, b) => a.distance - b.distance);
  return found.slice(0, args.limit).map((r, i) => ({
    kind: r.kind,
    id: r.id,
    conversationId: r.conversationId,
    startS: null,
    endS: null,
    title: r.title,
    at: r.at,
    snippet: {
      text: r.text.length > SNIPPET_CHARS ? `${r.text.slice(0, SNIPPET_CHARS - 1)}…` : r.text,
      highlights: [],
    },
    score: 1 - r.distance,
    explain: { keyword: null, vector: { rank: i + 1, distance: r.distance }, fused: null, filters, capped: false },
  }));
}
