// The in-memory int8 index against exact search on the same vectors: the same nearest items, the
// same exact distances (candidates are re-scored from the stored floats), filters still applied, and
// a rebuild after new vectors are stored.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { embedPending } from '../../src/main/search';
import { createHashedProvider } from '../../src/main/search/providers/hashed';
import { modelKey } from '../../src/main/search/providers/port';
import { semanticSearch } from '../../src/main/search/semantic';
import { openTestDb, type TestDb } from '../support/db';
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
  // 8 memories carry "rare"; the 100 candidates hold few of them, so the exact scan finds all 8.
  const rare = await search('laptop cello', 0, ['rare']);
  expect(rare.map((h) => h.id).sort()).toEqual(['m0', 'm100', 'm150', 'm200', 'm250', 'm300', 'm350', 'm50']);
});

it('sees vectors stored after it was built', async () => {
  await search('coffee', 0);
  addMemory(t.db, 'fresh', 'zanzibar quokka');
  await embedPending(t.db, provider, { now: () => new Date() });
  expect((await search('zanzibar quokka', 0))[0]!.id).toBe('fresh');
});
