// The in-memory index of one model's vectors: the 96-byte binary code of each (vectors.ts), nothing
// else, so a million vectors take ~138 MB (96 B of code, a 32 B copy of its first 256 bits, 8 B of
// pk and 2 B of scratch distance each) and the floats stay in the encrypted database. A query
// computes its own code and scans every code by Hamming distance (XOR and a 16-bit popcount table;
// in large indexes a 256-bit first pass, see TWO_STAGE_ABOVE), keeps the nearest few hundred, and
// semantic.ts re-scores those exactly from the stored floats (embedding_vectors). The benchmark
// records recall@10 of that against the exact scan.
//
// Building: from the persisted codes (embeddings.code), never from the floats. prepareIndex builds
// in slices that yield to the event loop (DESIGN.md §10); indexFor builds synchronously for callers
// that cannot wait. After that the index follows writes incrementally: writeVector notes each pk
// it stores, and the next query appends the code of each (a re-embedded item's old slot stays until
// a rebuild; its pk is de-duplicated at re-scoring and its stale code only costs a candidate).
// Deleted vectors simply fail to re-score. A rebuild happens once stale slots pass a tenth. Writes
// from another connection (an import on the archive worker) are noticed through PRAGMA data_version.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { binaryCode, CODE_BITS, CODE_WORDS, takeWritten, writeGeneration } from './vectors';

/** Bits set in every 16-bit value. */
const POP16 = (() => {
  const t = new Uint8Array(65_536);
  for (let i = 1; i < t.length; i++) t[i] = (i & 1) + t[i >>> 1]!;
  return t;
})();

const SLICE = 20_000;

/**
 * Above this many codes a query first ranks every code by its first PREFIX_WORDS words only, then
 * the shortlist by the whole code. Every bit of a code is a random hyperplane (vectors.ts rotates
 * before it takes signs), so the first 256 bits are as good a sketch as any 256. Measured by the
 * search bench: over 1,100,000 codes the scan went from 55-90 ms to 25-45 ms with recall@10 still
 * 1.000; over 110,000 it saved ~3 ms and cost recall (0.993 against 1.000), hence the threshold.
 */
export const TWO_STAGE_ABOVE = 250_000;
const PREFIX_WORDS = 8;
/** The first stage keeps this many codes per code asked for, and never fewer than SHORTLIST_MIN. */
const SHORTLIST_FACTOR = 32;
const SHORTLIST_MIN = 8_192;

/** Hamming distance between the query's first `words` words and the code at `at`. V8 inlines it:
 * as fast as the loop written out in place. */
function hamming(q: Uint32Array, codes: Uint32Array, at: number, words: number): number {
  let d = 0;
  for (let w = 0; w < words; w++) {
    const x = q[w]! ^ codes[at + w]!;
    d += POP16[x & 0xffff]! + POP16[x >>> 16]!;
  }
  return d;
}

/**
 * The positions of the `count` smallest of `distances[0..n)` (ties broken by position), given their
 * histogram: one pass finds the cut-off distance, a second collects the positions.
 */
function smallest(distances: Uint16Array, n: number, histogram: Uint32Array, count: number): Uint32Array {
  let edge = 0;
  for (let seen = 0; edge < histogram.length; edge++) if ((seen += histogram[edge]!) >= count) break;
  let room = count;
  for (let d = 0; d < edge; d++) room -= histogram[d]!;
  const out = new Uint32Array(Math.min(count, n));
  let k = 0;
  for (let i = 0; i < n && k < out.length; i++) {
    const d = distances[i]!;
    if (d < edge) out[k++] = i;
    else if (d === edge && room > 0) {
      out[k++] = i;
      room--;
    }
  }
  return out.subarray(0, k);
}

export class BinaryIndex {
  size = 0;
  /** Slots holding a code that a later write replaced. */
  stale = 0;
  /** The highest embedding pk added: rows above it are new to the index. */
  maxPk = 0;
  private codes = new Uint32Array(1_024 * CODE_WORDS);
  private bytes = new Uint8Array(this.codes.buffer);
  /** The first PREFIX_WORDS words of every code, contiguous, for the first stage. */
  private prefixes = new Uint32Array(1_024 * PREFIX_WORDS);
  private pks = new Float64Array(1_024);
  private distances = new Uint16Array(1_024);

  constructor(readonly model: string) {}

  /** Adds the codes of these rows (blobs of CODE_WORDS words). */
  add(rows: readonly { pk: number; code: Buffer | null }[]): void {
    for (const r of rows) this.addOne(r.pk, r.code);
  }

  addOne(pk: number, code: Buffer | null): void {
    if (!code || code.byteLength !== CODE_WORDS * 4) return;
    if (this.size === this.pks.length) this.grow();
    this.bytes.set(code, this.size * CODE_WORDS * 4);
    const at = this.size * CODE_WORDS;
    this.prefixes.set(this.codes.subarray(at, at + PREFIX_WORDS), this.size * PREFIX_WORDS);
    this.pks[this.size++] = pk;
    if (pk > this.maxPk) this.maxPk = pk;
  }

  private grow(): void {
    const codes = new Uint32Array(this.codes.length * 2);
    codes.set(this.codes);
    this.codes = codes;
    this.bytes = new Uint8Array(codes.buffer);
    const prefixes = new Uint32Array(this.prefixes.length * 2);
    prefixes.set(this.prefixes);
    this.prefixes = prefixes;
    const pks = new Float64Array(this.pks.length * 2);
    pks.set(this.pks);
    this.pks = pks;
    this.distances = new Uint16Array(this.pks.length);
  }

  /**
   * Embedding pks of the `count` codes nearest to the query's (ties at the edge broken by slot).
   * Above `twoStageAbove` codes, the nearest of a 256-bit first pass are ranked by the whole code.
   */
  nearest(query: Float32Array, count: number, twoStageAbove = TWO_STAGE_ABOVE): number[] {
    const q = binaryCode(query);
    const { codes, prefixes, distances, size } = this;
    if (size <= twoStageAbove) {
      const histogram = new Uint32Array(CODE_BITS + 1);
      for (let n = 0; n < size; n++) histogram[(distances[n] = hamming(q, codes, n * CODE_WORDS, CODE_WORDS))]!++;
      return Array.from(smallest(distances, size, histogram, count), (n) => this.pks[n]!);
    }
    const first = new Uint32Array(PREFIX_WORDS * 32 + 1);
    for (let n = 0; n < size; n++) first[(distances[n] = hamming(q, prefixes, n * PREFIX_WORDS, PREFIX_WORDS))]!++;
    const shortlist = smallest(distances, size, first, Math.max(count * SHORTLIST_FACTOR, SHORTLIST_MIN));
    const full = new Uint16Array(shortlist.length);
    const second = new Uint32Array(CODE_BITS + 1);
    for (let i = 0; i < shortlist.length; i++)
      second[(full[i] = hamming(q, codes, shortlist[i]! * CODE_WORDS, CODE_WORDS))]!++;
    return Array.from(smallest(full, shortlist.length, second, count), (i) => this.pks[shortlist[i]!]!);
  }
}

// A walk of the table in pk order (NOT INDEXED): through embeddings_by_model each row is a second
// lookup, ~1.7x slower on the million-vector bench vault.
const CODES_PAGE = 'SELECT pk, code FROM embeddings NOT INDEXED WHERE model = ? AND pk > ? ORDER BY pk LIMIT ?';

function slice(db: Db, index: BinaryIndex, after: number): number {
  // Raw rows ([pk, code]): a million row objects cost more than the codes themselves.
  const rows = stmt(db, CODES_PAGE).raw(true).all(index.model, after, SLICE) as [number, Buffer | null][];
  for (const [pk, code] of rows) index.addOne(pk, code);
  return rows.length < SLICE ? -1 : rows.at(-1)![0];
}

interface Indexes {
  byModel: Map<string, BinaryIndex>;
  building: Map<string, Promise<BinaryIndex>>;
  /** PRAGMA data_version when the indexes last caught up: it moves when another connection commits. */
  dataVersion: number;
}

const cache = new WeakMap<Db, Indexes>();

function indexesOf(db: Db): Indexes {
  let x = cache.get(db);
  if (!x) cache.set(db, (x = { byModel: new Map(), building: new Map(), dataVersion: dataVersion(db) }));
  return x;
}

const dataVersion = (db: Db) => db.pragma('data_version', { simple: true }) as number;

/**
 * Appends what was written since the last query; drops an index that has gone too stale. Writes on
 * this connection come from writeVector's journal; another connection's (an import on the archive
 * worker) show as a new data_version, and then every row above the index's highest pk is read. A
 * vector replaced in place by another connection keeps its old code until a rebuild: its distance is
 * still exact, it may only be missed as a candidate.
 */
function catchUp(db: Db, x: Indexes): void {
  const version = dataVersion(db);
  if (version !== x.dataVersion) {
    x.dataVersion = version;
    for (const index of x.byModel.values()) {
      for (let after = index.maxPk; after >= 0;) after = slice(db, index, after);
    }
  }
  const pks = takeWritten(db);
  if (pks.length === 0 || x.byModel.size === 0) return;
  const rows = stmt(
    db,
    'SELECT e.pk AS pk, e.model AS model, e.code AS code FROM json_each(?) j CROSS JOIN embeddings e ON e.pk = j.value',
  ).all(JSON.stringify([...new Set(pks)])) as { pk: number; model: string; code: Buffer | null }[];
  for (const [model, index] of x.byModel) {
    const mine = rows.filter((r) => r.model === model);
    // A pk already indexed was re-embedded: its old slot is now stale. Appends (new pks, higher than
    // any indexed one) are the common case and cost nothing extra.
    index.stale += mine.filter((r) => r.pk <= index.maxPk).length;
    index.add(mine);
    if (index.stale > index.size / 10) {
      x.byModel.delete(model);
    }
  }
}

/** The model's index on this connection if it is built (brought up to date), else undefined. */
export function peekIndex(db: Db, model: string): BinaryIndex | undefined {
  const x = cache.get(db);
  if (!x) return undefined;
  catchUp(db, x);
  return x.byModel.get(model);
}

/** The index of this model on this connection, built now (synchronously) if there is none. */
export function indexFor(db: Db, model: string): BinaryIndex {
  const x = indexesOf(db);
  catchUp(db, x);
  let index = x.byModel.get(model);
  if (!index) {
    index = new BinaryIndex(model);
    for (let after = 0; after >= 0;) after = slice(db, index, after);
    x.byModel.set(model, index);
  }
  return index;
}

/** Builds the model's index in slices that yield to the event loop; later calls share the build. */
export function prepareIndex(db: Db, model: string): Promise<BinaryIndex> {
  const x = indexesOf(db);
  catchUp(db, x);
  const ready = x.byModel.get(model);
  if (ready) return Promise.resolve(ready);
  let pending = x.building.get(model);
  if (!pending) {
    pending = (async () => {
      const index = new BinaryIndex(model);
      try {
        for (let after = 0; after >= 0;) {
          after = slice(db, index, after);
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (!db.open) throw new Error('the vault was closed while its vector index was being built');
        }
        // Writes made during the build are in the index already (they were read by a later slice)
        // or in the journal, which the next catch-up applies.
        x.byModel.set(model, index);
        return index;
      } finally {
        x.building.delete(model);
      }
    })();
    x.building.set(model, pending);
  }
  return pending;
}

/** How many vectors this model has (vectorCounts, cached until the next write on this connection). */
export function vectorCount(db: Db, model: string): number {
  return vectorCounts(db).get(model) ?? 0;
}

/** How many vectors this model has, counting no further than `limit` (embeddings_by_model index). */
export function vectorCountUpTo(db: Db, model: string, limit: number): number {
  return stmt(db, 'SELECT count(*) FROM (SELECT 1 FROM embeddings WHERE model = ? LIMIT ?)')
    .pluck()
    .get(model, limit) as number;
}

/** Whether this model has any vector. */
export function hasAnyVector(db: Db, model: string): boolean {
  return stmt(db, 'SELECT 1 FROM embeddings WHERE model = ? LIMIT 1').get(model) !== undefined;
}

const counts = new WeakMap<Db, { generation: number; byModel: ReadonlyMap<string, number> }>();

/** How many vectors each model has; cached until a vector is written on this connection. */
export function vectorCounts(db: Db): ReadonlyMap<string, number> {
  const generation = writeGeneration(db);
  let cached = counts.get(db);
  if (!cached || cached.generation !== generation) {
    const rows = stmt(db, 'SELECT model, count(*) AS n FROM embeddings GROUP BY model').all() as {
      model: string;
      n: number;
    }[];
    counts.set(db, (cached = { generation, byModel: new Map(rows.map((r) => [r.model, r.n])) }));
  }
  return cached.byModel;
}
