// Where a vector is stored, and the compact code the in-memory index scans. writeVector is the one
// place that writes a vector: into sqlite-vec's vec0 table (exact KNN for small vaults, doctor's
// consistency check, export), into the plain `embedding_vectors` table that search re-scores from
// (one B-tree lookup and one page per vector, where a vec0 lookup decrypts a 1,024-vector chunk), and
// the vector's 96-byte binary code into `embeddings.code`, so opening a vault never reads the floats
// to build its index (migration 0060).
//
// The binary code is a sign-random-projection hash (SimHash): the signs of a fixed pseudo-random
// rotation of the vector. The Hamming distance between two codes estimates the angle between the
// vectors (Charikar 2002), for dense model vectors and sparse bag-of-words ones alike; plain sign bits
// of a sparse vector would mostly encode its zeros. The rotation is two rounds of random sign flips,
// a fixed permutation and a Walsh-Hadamard transform over the vector padded to a power of two
// (O(d log d) per vector), seeded, so a code never changes for the same vector.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';

/** Bits in a binary code (96 bytes): what the index keeps per vector. */
export const CODE_BITS = 768;
export const CODE_WORDS = CODE_BITS / 32;

interface Rotation {
  size: number;
  signs: Float32Array[];
  permutation: Uint32Array;
}

const rotations = new Map<number, Rotation>();

/** mulberry32, seeded: the rotation must be the same in every process and every release. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rotationFor(dims: number): Rotation {
  let r = rotations.get(dims);
  if (r) return r;
  let size = 1;
  while (size < Math.max(dims, CODE_BITS)) size *= 2;
  const next = seeded(0x5eed0 + dims);
  const signs = [0, 1].map(() => Float32Array.from({ length: size }, () => (next() < 0.5 ? -1 : 1)));
  const permutation = Uint32Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [permutation[i], permutation[j]] = [permutation[j]!, permutation[i]!];
  }
  rotations.set(dims, (r = { size, signs, permutation }));
  return r;
}

/** In-place fast Walsh-Hadamard transform (unnormalised: only signs are kept). */
function hadamard(x: Float32Array): void {
  for (let h = 1; h < x.length; h *= 2) {
    for (let i = 0; i < x.length; i += h * 2) {
      for (let j = i; j < i + h; j++) {
        const a = x[j]!;
        const b = x[j + h]!;
        x[j] = a + b;
        x[j + h] = a - b;
      }
    }
  }
}

/** The vector's binary code: CODE_WORDS 32-bit words, bit i set when rotated coordinate i is > 0. */
export function binaryCode(vector: Float32Array): Uint32Array {
  const { size, signs, permutation } = rotationFor(vector.length);
  let x = new Float32Array(size);
  const first = signs[0]!;
  for (let i = 0; i < vector.length; i++) x[i] = vector[i]! * first[i]!;
  hadamard(x);
  const second = signs[1]!;
  const y = new Float32Array(size);
  for (let i = 0; i < size; i++) y[permutation[i]!] = x[i]! * second[i]!;
  hadamard(y);
  x = y;
  const code = new Uint32Array(CODE_WORDS);
  for (let i = 0; i < CODE_BITS; i++) if (x[i]! > 0) code[i >>> 5]! |= 1 << (i & 31);
  return code;
}

export const codeBytes = (code: Uint32Array): Buffer => Buffer.from(code.buffer, code.byteOffset, code.byteLength);
export const vectorBytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A stored vector blob (little-endian float32) as a Float32Array, copied when misaligned. */
export function vectorFrom(blob: Buffer): Float32Array {
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return new Float32Array(Uint8Array.from(blob).buffer);
}

const written = new WeakMap<Db, number[]>();

/** Embedding pks written on this connection since the last call: what the index has not seen yet. */
export function takeWritten(db: Db): number[] {
  const pks = written.get(db) ?? [];
  written.delete(db);
  return pks;
}

/**
 * Stores `vector` for the embeddings row `embeddingPk` (which must exist): replaces any earlier
 * vector of that row in every representation. Call inside the caller's transaction.
 */
export function writeVector(db: Db, embeddingPk: number | bigint, vector: Float32Array): void {
  const bytes = vectorBytes(vector);
  // vec0 wants an integer rowid; better-sqlite3 binds a JS number as a float unless it is a BigInt.
  const rowid = BigInt(embeddingPk);
  stmt(db, 'DELETE FROM vec_embeddings WHERE rowid = ?').run(rowid);
  stmt(db, 'INSERT INTO vec_embeddings (rowid, embedding) VALUES (?, ?)').run(rowid, bytes);
  stmt(db, 'INSERT OR REPLACE INTO embedding_vectors (pk, vector) VALUES (?, ?)').run(rowid, bytes);
  stmt(db, 'UPDATE embeddings SET code = ? WHERE pk = ?').run(codeBytes(binaryCode(vector)), rowid);
  // Noted even if the transaction later rolls back: the index then reads no code for the pk and
  // skips it.
  let pks = written.get(db);
  if (!pks) written.set(db, (pks = []));
  pks.push(Number(embeddingPk));
  generations.set(db, writeGeneration(db) + 1);
}

const generations = new WeakMap<Db, number>();

/** Counts vectors written on this connection: cached figures derived from vectors compare it. */
export function writeGeneration(db: Db): number {
  return generations.get(db) ?? 0;
}

/** The stored float vectors of these embedding pks (missing pks are absent from the map). */
export function readVectors(db: Db, pks: readonly number[]): Map<number, Float32Array> {
  const rows = stmt(
    db,
    'SELECT v.pk AS pk, v.vector AS vector FROM json_each(?) j CROSS JOIN embedding_vectors v ON v.pk = j.value',
  ).all(JSON.stringify(pks)) as { pk: number; vector: Buffer }[];
  return new Map(rows.map((r) => [r.pk, vectorFrom(r.vector)]));
}
