// The in-memory binary index against exact search on the same vectors: the same nearest items, the
// same exact distances (candidates are re-scored from the stored floats), filters still applied,
// vectors stored or replaced after the build followed, the non-blocking build equal to the blocking
// one, and binary codes whose Hamming distance follows the angle between vectors.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { embedPending } from '../../src/main/search';
import { createHashedProvider } from '../../src/main/search/providers/hashed';
import { modelKey } from '../../src/main/search/providers/port';
import { semanticSearch } from '../../src/main/search/semantic';
import { updateMemory } from '../../src/main/db/repos/memories';
import { BinaryIndex, indexFor, prepareIndex } from '../../src/main/search/vector-index';
import { binaryCode, CODE_BITS } from '../../src/main/search/vectors';
import { openTestDb, testContext, type TestDb } from '../support/db';
import { addMemory } from './fixture';

const provider = createHashedProvider(768);
const model = modelKey(provider);
const WORDS = 'coffee dana pricing vendor balcony tomatoes garden march lisbon passport cello laptop'.split(' ');
let t: TestDb;

beforeAll(async () => {
  t = openTestDb();
  for (let i = 0; i < 400; i++) {
    const words = [0, 1, 2, 3].map((k) => WORDS[(i * (k + 3) + k * 7) % WORDS.length]!);
    addMemory(t.db, `m${i}`, `${words.join(' ')} note ${i}`, {
      tags: [...(i % 2 ? ['odd'] : []), ...(i % 50 === 0 ? ['rare'] : [])],
    });
  }
  await embedPending(t.db, provider, { now: () => new Date(), batchSize: 200 });
});
afterAll(() => t.close());

const search = async (query: string, indexThreshold: number, tags?: string[]) => {
  const [vector] = await provider.embed([query], 'query');
  return semanticSearch(t.db, {
    vector: vector!,
    model,
    filters: { includeTrash: false, tags },
    limit: 10,
    indexThreshold,
  });
};

it('finds what exact search finds, with exact distances', async () => {
  for (const q of ['coffee with dana', 'balcony tomatoes garden', 'passport lisbon march', 'laptop cello']) {
    const exact = await search(q, Infinity);
    const indexed = await search(q, 0);
    const recall = indexed.filter((h) => exact.some((e) => e.id === h.id)).length / exact.length;
    expect(recall).toBeGreaterThanOrEqual(0.9);
    expect(indexed[0]!.explain.vector.distance).toBeCloseTo(exact[0]!.explain.vector.distance, 6);
  }
});

it('applies filters to the candidates and falls back to the exact scan when they leave too few', async () => {
  const odd = await search('coffee with dana', 0, ['odd']);
  expect(odd).toHaveLength(10);
  expect(odd.every((h) => Number(h.id.slice(1)) % 2 === 1)).toBe(true);
  // 8 memories carry "rare": fewer than the page, so the search widens until it has seen every vector.
  const rare = await search('laptop cello', 0, ['rare']);
  expect(rare.map((h) => h.id).sort()).toEqual(['m0', 'm100', 'm150', 'm200', 'm250', 'm300', 'm350', 'm50']);
});

it('sees vectors stored after it was built', async () => {
  await search('coffee', 0);
  addMemory(t.db, 'fresh', 'zanzibar quokka');
  await embedPending(t.db, provider, { now: () => new Date() });
  expect((await search('zanzibar quokka', 0))[0]!.id).toBe('fresh');
});

it('follows a re-embedded item: found by its new text, once, at its exact distance', async () => {
  await search('coffee', 0);
  const ctx = testContext();
  updateMemory(t.db, 'm7', { content: 'marzipan harpsichord' }, ctx);
  await embedPending(t.db, provider, { now: () => new Date() });
  const indexed = await search('marzipan harpsichord', 0);
  const exact = await search('marzipan harpsichord', Infinity);
  expect(indexed[0]!.id).toBe('m7');
  expect(indexed[0]!.explain.vector.distance).toBeCloseTo(exact[0]!.explain.vector.distance, 6);
  expect(indexed.filter((h) => h.id === 'm7')).toHaveLength(1);
});

it('builds the same index without blocking as with', async () => {
  const query = (await provider.embed(['balcony tomatoes garden'], 'query'))[0]!;
  const blocking = indexFor(t.db, model).nearest(query, 50);
  const fresh = openTestDb();
  try {
    for (let i = 0; i < 50; i++)
      addMemory(fresh.db, `x${i}`, `${WORDS[i % WORDS.length]!} ${WORDS[(i * 5) % WORDS.length]!}`);
    await embedPending(fresh.db, provider, { now: () => new Date() });
    const built = await prepareIndex(fresh.db, model);
    expect(built.size).toBe(50);
    expect(indexFor(fresh.db, model)).toBe(built);
  } finally {
    fresh.close();
  }
  expect(indexFor(t.db, model).nearest(query, 50)).toEqual(blocking);
});

it('codes vectors so that Hamming distance grows with the angle', () => {
  const unit = (v: Float32Array) => v.map((x) => x / Math.hypot(...v));
  const base = unit(Float32Array.from({ length: 768 }, (_, i) => Math.sin(i * 1.7) + (i % 7 === 0 ? 1 : 0)));
  const noise = unit(Float32Array.from({ length: 768 }, (_, i) => Math.cos(i * 2.3 + 1)));
  const hamming = (a: Uint32Array, b: Uint32Array) => {
    let d = 0;
    for (let w = 0; w < a.length; w++) for (let x = a[w]! ^ b[w]!; x; x &= x - 1) d++;
    return d;
  };
  const code = binaryCode(base);
  expect(hamming(code, binaryCode(base))).toBe(0);
  expect(hamming(code, binaryCode(base.map((x) => -x)))).toBeGreaterThan(CODE_BITS * 0.95);
  const distances = [0.1, 0.3, 0.6, 1.0].map((w) =>
    hamming(code, binaryCode(unit(base.map((x, i) => x + w * noise[i]!)))),
  );
  for (let i = 1; i < distances.length; i++) expect(distances[i]!).toBeGreaterThan(distances[i - 1]!);
  // A sparse vector (bag of words) is coded as well as a dense one: not mostly zeros.
  const sparse = new Float32Array(768);
  sparse[3] = 1;
  sparse[500] = -1;
  const ones = [...binaryCode(sparse)].reduce((n, w) => n + hamming(new Uint32Array([w]), new Uint32Array([0])), 0);
  expect(ones).toBeGreaterThan(CODE_BITS * 0.3);
  expect(ones).toBeLessThan(CODE_BITS * 0.7);
});

it('in a large index, the 256-bit first pass keeps what the whole-code scan ranks nearest; SIMD scans as JS does', () => {
  // 20,000 random directions plus a few planted at growing angles from the query.
  let seed = 42;
  // mulberry32: a seeded generator whose 32-bit state arithmetic stays exact in JS.
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), seed | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (((x ^ (x >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  };
  const vector = () => Float32Array.from({ length: 768 }, random);
  const query = vector();
  const index = new BinaryIndex('test');
  // The same codes scanned by the JS loop, to check the WebAssembly SIMD kernel against.
  const plain = new BinaryIndex('test', { simd: false });
  expect(index.usesSimd).toBe(true);
  expect(plain.usesSimd).toBe(false);
  const add = (pk: number, v: Float32Array) => {
    // At an odd offset, as a blob inside a larger buffer can be.
    const code = Buffer.alloc(97).subarray(1);
    code.set(new Uint8Array(binaryCode(v).buffer));
    index.addOne(pk, code);
    plain.addOne(pk, code);
  };
  for (let pk = 1; pk <= 20_000; pk++) add(pk, vector());
  const planted = [0.2, 0.5, 0.8, 1.1, 1.4].map((w, i) => {
    const noise = vector();
    add(
      100_000 + i,
      query.map((x, k) => x + w * noise[k]!),
    );
    return 100_000 + i;
  });
  // Candidates come in slot order; semantic.ts orders them by exact distance.
  const whole = index.nearest(query, 200, Infinity);
  const twoStage = index.nearest(query, 200, 0);
  expect(twoStage).toHaveLength(200);
  for (const pk of planted) {
    expect(whole).toContain(pk);
    expect(twoStage).toContain(pk);
  }
  const kept = twoStage.filter((pk) => whole.includes(pk)).length;
  expect(kept / whole.length).toBeGreaterThanOrEqual(0.9);
  for (const q of [query, vector(), vector()]) {
    expect(index.nearest(q, 200, Infinity)).toEqual(plain.nearest(q, 200, Infinity));
    expect(index.nearest(q, 50, 0)).toEqual(plain.nearest(q, 50, 0));
  }
});
