// An in-memory int8 index of one model's vectors, for semantic search that does not rescan the
// encrypted vec0 table (ENVIRONMENT.md: ~1.7 s per 100k-vector scan encrypted, because every page is
// decrypted again). Built on first use from the stored vectors (which stay the source of truth),
// it keeps each unit vector quantised to int8 (x * 127, 768 bytes per vector: 77 MB at 100k) and
// answers a query in two steps: an approximate dot-product scan over all of them for the best
// `candidates`, then exact cosine distances for those from the stored float vectors, with the
// search's filters applied in the same SQL. The benchmark records recall against exact search.
//
// Invalidation is coarse: whoever stores vectors calls invalidate() and the next query rebuilds.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';

export interface IndexedVectors {
  model: string;
  size: number;
  /** Embedding pks, best first, with approximate similarity (higher is nearer). */
  nearest(query: Float32Array, candidates: number): { pk: number; approx: number }[];
}

export function buildIndex(db: Db, model: string, dims: number): IndexedVectors {
  const rows = stmt(
    db,
    'SELECT e.pk AS pk, v.embedding AS embedding FROM embeddings e JOIN vec_embeddings v ON v.rowid = e.pk WHERE e.model = ?',
  ).iterate(model) as IterableIterator<{ pk: number; embedding: Buffer }>;
  const pks: number[] = [];
  let codes = new Int8Array(1024 * dims);
  for (const r of rows) {
    const f = new Float32Array(r.embedding.buffer, r.embedding.byteOffset, dims);
    if (codes.length < (pks.length + 1) * dims) {
      const grown = new Int8Array(codes.length * 2);
      grown.set(codes);
      codes = grown;
    }
    const at = pks.length * dims;
    for (let i = 0; i < dims; i++) codes[at + i] = Math.max(-127, Math.min(127, Math.round(f[i]! * 127)));
    pks.push(r.pk);
  }
  const size = pks.length;
  return {
    model,
    size,
    nearest(query, candidates) {
      const q = Float32Array.from(query, (x) => x * 127);
      // A bounded list of the best so far; candidates are few, so insertion into a sorted array is cheap.
      const best: { pk: number; approx: number }[] = [];
      let floor = -Infinity;
      for (let n = 0; n < size; n++) {
        const at = n * dims;
        let dot = 0;
        for (let i = 0; i < dims; i++) dot += q[i]! * codes[at + i]!;
        if (best.length < candidates || dot > floor) {
          let j = best.length;
          while (j > 0 && best[j - 1]!.approx < dot) j--;
          best.splice(j, 0, { pk: pks[n]!, approx: dot });
          if (best.length > candidates) best.pop();
          floor = best[best.length - 1]!.approx;
        }
      }
      return best;
    },
  };
}

const cache = new WeakMap<Db, Map<string, IndexedVectors>>();

/** The index of this model on this connection, built on first use. */
export function indexFor(db: Db, model: string, dims: number): IndexedVectors {
  let byModel = cache.get(db);
  if (!byModel) cache.set(db, (byModel = new Map<string, IndexedVectors>()));
  let index = byModel.get(model);
  if (!index) byModel.set(model, (index = buildIndex(db, model, dims)));
  return index;
}

const counts = new WeakMap<Db, Map<string, number>>();

/** How many vectors each model has on this connection; cached until vectors are stored again. */
export function vectorCounts(db: Db): ReadonlyMap<string, number> {
  let byModel = counts.get(db);
  if (!byModel) {
    const rows = stmt(db, 'SELECT model, count(*) AS n FROM embeddings GROUP BY model').all() as {
      model: string;
      n: number;
    }[];
    counts.set(db, (byModel = new Map(rows.map((r) => [r.model, r.n]))));
  }
  return byModel;
}

/** Drops the connection's indexes and counts after vectors were stored; the next query rebuilds. */
export function invalidateIndexes(db: Db): void {
  cache.delete(db);
  counts.delete(db);
}
