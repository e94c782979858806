// The in-memory index of one model's vectors: the 96-byte binary code of each (vectors.ts) and no
// floats, so a million vectors take ~138 MB (96 B of code, a 32 B copy of its first 256 bits, 8 B of
// pk and 2 B of scratch distance each) and the floats stay in the encrypted database. A query
// computes its own code and scans every code by Hamming distance (a WebAssembly SIMD kernel,
// hamming-simd.ts, where the runtime has one, else XOR and a 16-bit popcount table; in large indexes
// a 256-bit first pass, see TWO_STAGE_ABOVE), keeps the nearest few hundred, and
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
import { scanOver, simdModule, type Scan } from './hamming-simd';
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
 * before it takes signs), so the first 256 bits are as good a sketch as any 256. Measured over the
 * 1,100,000 codes of the search bench: with the JS loop the scan went from 55-90 ms to 25-45 ms,
 * recall@10 still 1.000; with the SIMD kernel from 14-17 ms to 11-14 ms. Over 110,000 it saved ~3 ms
 * of the JS scan but cost recall (0.993 against 1.000), hence the threshold.
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

// Where things live in an index's memory: the query's code, the histogram the scan fills, then per
// slot its distance (u16), its first PREFIX_WORDS words and its whole code. The first words are a
// copy so that the first pass reads 32 contiguous bytes per code rather than one cache line of each
// 96-byte code. Offsets stay 16-aligned.
const QUERY_AT = 0;
const HIST_AT = 128;
const SLOTS_AT = 4_096;
const CODE_BYTES = CODE_WORDS * 4;
const PREFIX_BYTES = PREFIX_WORDS * 4;
const PAGE = 65_536;

interface Layout {
  capacity: number;
  memory: WebAssembly.Memory;
  scan: Scan | null;
  query: Uint32Array;
  distances: Uint16Array;
  prefixesAt: number;
  prefixes: Uint32Array;
  codesAt: number;
  codes: Uint32Array;
}

function layout(capacity: number, simd: boolean): Layout {
  const prefixesAt = SLOTS_AT + Math.ceil((capacity * 2) / 16) * 16;
  const codesAt = prefixesAt + capacity * PREFIX_BYTES;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((codesAt + capacity * CODE_BYTES) / PAGE) });
  const buffer = memory.buffer;
  return {
    capacity,
    memory,
    scan: simd ? scanOver(memory) : null,
    query: new Uint32Array(buffer, QUERY_AT, CODE_WORDS),
    distances: new Uint16Array(buffer, SLOTS_AT, capacity),
    prefixesAt,
    prefixes: new Uint32Array(buffer, prefixesAt, capacity * PREFIX_WORDS),
    codesAt,
    codes: new Uint32Array(buffer, codesAt, capacity * CODE_WORDS),
  };
}

export class BinaryIndex {
  size = 0;
  /** Slots holding a code that a later write replaced. */
  stale = 0;
  /** The highest embedding pk added: rows above it are new to the index. */
  maxPk = 0;
  /** Whether queries scan with the WebAssembly SIMD kernel. */
  readonly usesSimd: boolean;
  private at: Layout;
  private pks = new Float64Array(1_024);

  /** `simd: false` keeps the scan in JS (it is also what runs where WebAssembly SIMD is missing). */
  constructor(
    readonly model: string,
    options: { simd?: boolean } = {},
  ) {
    this.usesSimd = options.simd !== false && simdModule() !== null;
    this.at = layout(1_024, this.usesSimd);
  }

  /** Adds the codes of these rows (blobs of CODE_WORDS words). */
  add(rows: readonly { pk: number; code: Buffer | null }[]): void {
    for (const r of rows) this.addOne(r.pk, r.code);
  }

  addOne(pk: number, code: Buffer | null): void {
    if (!code || code.byteLength !== CODE_BYTES) return;
    if (this.size === this.at.capacity) this.grow();
    const { memory, codesAt, codes, prefixes } = this.at;
    // Byte for byte: a blob from SQLite need not sit at a 4-byte aligned offset of its buffer.
    new Uint8Array(memory.buffer, codesAt + this.size * CODE_BYTES, CODE_BYTES).set(code);
    const at = this.size * CODE_WORDS;
    prefixes.set(codes.subarray(at, at + PREFIX_WORDS), this.size * PREFIX_WORDS);
    this.pks[this.size++] = pk;
    if (pk > this.maxPk) this.maxPk = pk;
  }

  private grow(): void {
    const next = layout(this.at.capacity * 2, this.usesSimd);
    next.codes.set(this.at.codes);
    next.prefixes.set(this.at.prefixes);
    this.at = next;
    const pks = new Float64Array(next.capacity);
    pks.set(this.pks);
    this.pks = pks;
  }

  /** Distances from the query (already in place) to every slot's first `words` words, and their
   * histogram, over either the prefixes or the whole codes. */
  private scanAll(words: number): { distances: Uint16Array; histogram: Uint32Array } {
    const { memory, scan, query, distances } = this.at;
    const histogram = new Uint32Array(memory.buffer, HIST_AT, words * 32 + 1);
    histogram.fill(0);
    const whole = words === CODE_WORDS;
    if (scan) {
      scan(QUERY_AT, whole ? this.at.codesAt : this.at.prefixesAt, this.size, words * 4, SLOTS_AT, HIST_AT);
    } else {
      const codes = whole ? this.at.codes : this.at.prefixes;
      for (let n = 0; n < this.size; n++) histogram[(distances[n] = hamming(query, codes, n * words, words))]!++;
    }
    return { distances, histogram };
  }

  /**
   * Embedding pks of the `count` codes nearest to the query's (ties at the edge broken by slot).
   * Above `twoStageAbove` codes, the nearest of a 256-bit first pass are ranked by the whole code.
   */
  nearest(query: Float32Array, count: number, twoStageAbove = TWO_STAGE_ABOVE): number[] {
    const q = binaryCode(query);
    this.at.query.set(q);
    const size = this.size;
    if (size <= twoStageAbove) {
      const { distances, histogram } = this.scanAll(CODE_WORDS);
      return Array.from(smallest(distances, size, histogram, count), (n) => this.pks[n]!);
    }
    const first = this.scanAll(PREFIX_WORDS);
    const shortlist = smallest(
      first.distances,
      size,
      first.histogram,
      Math.max(count * SHORTLIST_FACTOR, SHORTLIST_MIN),
    );
    const { codes } = this.at;
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
