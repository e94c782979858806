// Semantic search: cosine distance between the query vector and the stored vectors of the model,
// through sqlite-vec's vec_distance_cosine, with the same filters as keyword search applied by
// joining the items, and only this model's vectors (an older model's may sit in the same vec0 table
// during a re-embed).
//
// Small vaults are scanned exactly. Above `indexThreshold` vectors the encrypted scan costs seconds
// (ENVIRONMENT.md), so an in-memory int8 index (vector-index.ts) picks candidates and only those are
// scored exactly here; when filters leave fewer than asked for among them, the exact scan answers.
// Measured at 100k vectors in an encrypted vault (bench/search.bench.ts): ~0.7 s per query, of which
// the JS int8 scan is ~0.1 s and the 100 vec0 lookups the rest (each reads into a 1,024-vector chunk
// and decrypts it). Re-scoring from a plain BLOB column and a WebAssembly SIMD scan are the next steps.
import type { SearchFilters, SearchHit, SearchKind } from '../../shared/models';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { activeFilters, KINDS, whereFor } from './keyword';
import { indexFor, vectorCounts } from './vector-index';

const SNIPPET_CHARS = 200;

export interface SemanticArgs {
  vector: Float32Array;
  model: string;
  filters: SearchFilters;
  limit: number;
  /** Use the in-memory index above this many vectors of the model. */
  indexThreshold?: number;
}

export const INDEX_THRESHOLD = 20_000;
/** Candidates the index hands to exact scoring (twice the page, at least this many): each costs a
 * vec0 lookup, which reads from a chunk of 1,024 vectors and is not cheap in an encrypted file. */
const MIN_CANDIDATES = 100;

export interface SemanticHit extends SearchHit {
  explain: SearchHit['explain'] & { vector: { rank: number; distance: number } };
}

const ITEM: Partial<Record<SearchKind, { join: string; text: string }>> = {
  memory: { join: 'memories m ON m.pk = e.item_pk', text: 'm.content' },
  conversation: { join: 'conversations c ON c.pk = e.item_pk', text: 'c.title || char(10) || c.overview' },
};

interface Row {
  id: string;
  conversationId: string | null;
  title: string | null;
  at: string;
  text: string;
  distance: number;
}

/** Whether any vector of this model is stored: without one, semantic search has nothing to search. */
export function hasVectors(db: Db, model: string): boolean {
  return (vectorCounts(db).get(model) ?? 0) > 0;
}

export function semanticSearch(db: Db, args: SemanticArgs): SemanticHit[] {
  const threshold = args.indexThreshold ?? INDEX_THRESHOLD;
  if ((vectorCounts(db).get(args.model) ?? 0) > threshold) {
    const index = indexFor(db, args.model, args.vector.length);
    const wanted = Math.max(MIN_CANDIDATES, args.limit * 2);
    const candidates = index.nearest(args.vector, wanted);
    const hits = scored(
      db,
      args,
      candidates.map((c) => c.pk),
    );
    // Fewer candidates than asked for means the index holds no more: the hits are complete.
    if (hits.length >= args.limit || candidates.length < wanted) return hits;
  }
  return scored(db, args, null);
}

/** Exact distances for the model's vectors, all of them or only these embedding pks. */
function scored(db: Db, args: SemanticArgs, only: number[] | null): SemanticHit[] {
  const filters = activeFilters(args.filters);
  const query = Buffer.from(args.vector.buffer, args.vector.byteOffset, args.vector.byteLength);
  const found: (Row & { kind: SearchKind })[] = [];
  for (const k of KINDS) {
    const item = ITEM[k.kind];
    const where = whereFor(k, args.filters);
    if (!item || !where) continue;
    const columns = k.detail.replace(/, NULL AS startS, NULL AS endS/, '');
    // With candidates, the loop must start from them (CROSS JOIN fixes the order): the planner
    // otherwise walks every embedding of the kind, and each vec0 lookup reads a whole chunk.
    const source = only ? 'json_each(?) j CROSS JOIN embeddings e ON e.pk = j.value' : 'embeddings e';
    const rows = stmt(
      db,
      `SELECT ${columns}, ${item.text} AS text, vec_distance_cosine(v.embedding, ?) AS distance
       FROM ${source} JOIN vec_embeddings v ON v.rowid = e.pk JOIN ${item.join}
       WHERE e.kind = ? AND e.model = ?${where.sql} ORDER BY distance LIMIT ?`,
    ).all(query, ...(only ? [JSON.stringify(only)] : []), k.kind, args.model, ...where.params, args.limit) as Row[];
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
