// Relevance on a small labelled set: memories with known answers among distractors that share
// everyday words. recall@10 is measured for keyword, semantic (the hashed embedder through the fake
// Ollama server) and hybrid, and hybrid must be no worse than the better of the two. The queries mix
// exact wording (keyword's strength), inflections and extra words that an AND query cannot satisfy
// (semantic's strength here: the hashed embedder shares 5-letter stems and does not need every word).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { embedPending, searchWith, type SearchArgs } from '../../src/main/search';
import { createOllamaProvider } from '../../src/main/search/providers/ollama';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startFakeOllama } from '../fakes/ollama-server';
import { openTestDb, type TestDb } from '../support/db';
import { addMemory } from './fixture';

const RELEVANT: Record<string, string> = {
  r1: 'Dana prefers oat milk in her flat white',
  r2: 'The balcony tomatoes need watering every morning in July',
  r3: 'Renew the passport before the trip to Lisbon in September',
  r4: 'Marco recommended the book Thinking Fast and Slow',
  r5: 'The dentist appointment moved to Thursday at nine',
  r6: 'Sam is allergic to peanuts, check the ingredients when cooking',
  r7: 'The vendor contract renewal is due at the end of March',
  r8: 'Grandma’s birthday dinner is at the Italian restaurant on Elm Street',
  r9: 'Car insurance payment goes out on the fifth of every month',
  r10: 'Lena is learning to play the cello and practices on Sundays',
  r11: 'Back up the laptop before installing the new operating system',
  r12: 'The running club meets at the park gate on Saturday mornings',
};

const QUERIES: { query: string; relevant: string[] }[] = [
  { query: 'oat milk', relevant: ['r1'] },
  { query: 'tomato watering', relevant: ['r2'] },
  { query: 'passport renewal Lisbon trip', relevant: ['r3'] },
  { query: 'book recommendation from Marco', relevant: ['r4'] },
  { query: 'dentist', relevant: ['r5'] },
  { query: 'peanut allergy', relevant: ['r6'] },
  { query: 'vendor contract', relevant: ['r7'] },
  { query: 'birthday dinner restaurant', relevant: ['r8'] },
  { query: 'insurance payments monthly', relevant: ['r9'] },
  { query: 'cello practice', relevant: ['r10'] },
  { query: 'laptop backup', relevant: ['r11'] },
  { query: 'Saturday running club', relevant: ['r12'] },
];

// Distractors: everyday sentences reusing the same common words (the, on, at, every, morning, ...).
const SUBJECTS = ['The team', 'My neighbour', 'Alex', 'The landlord', 'Priya', 'The school', 'Dad', 'The gym'];
const VERBS = ['mentioned', 'asked about', 'forgot', 'planned', 'talked about', 'postponed', 'reminded me of'];
const OBJECTS = [
  'the meeting every morning',
  'a trip at the end of the month',
  'the park on Sunday',
  'dinner on Thursday',
  'the new phone plan',
  'a contract for the kitchen',
  'the book club',
  'coffee at nine',
  'the garden fence',
  'a birthday gift',
  'the car wash',
  'the music lesson',
  'installing new shelves',
  'milk and bread',
  'the water bill',
];

let t: TestDb;
let fake: FakeEmbeddingServer;
beforeAll(async () => {
  fake = await startFakeOllama();
  t = openTestDb();
  let n = 0;
  for (const s of SUBJECTS)
    for (const v of VERBS) for (const o of OBJECTS.slice(0, 8)) addMemory(t.db, `d${n++}`, `${s} ${v} ${o}`);
  for (const [i, o] of OBJECTS.entries()) addMemory(t.db, `d${n++}`, `Note ${i}: ${o}`);
  for (const [id, content] of Object.entries(RELEVANT)) addMemory(t.db, id, content);
});
afterAll(async () => {
  t.close();
  await fake.close();
});

it('hybrid recall@10 is at least the better of keyword and semantic', async () => {
  const provider = createOllamaProvider({ baseUrl: fake.url, model: 'labelled', dims: 768 });
  await embedPending(t.db, provider, { now: () => new Date(), batchSize: 100 });
  const recall = async (mode: SearchArgs['mode']) => {
    let sum = 0;
    for (const q of QUERIES) {
      const r = await searchWith(t.db, provider, {
        query: q.query,
        mode,
        filters: { includeTrash: false },
        limit: 10,
        offset: 0,
        prefix: false,
      });
      expect(r.modeUsed).toBe(mode);
      const ids = new Set(r.items.map((h) => h.id));
      sum += q.relevant.filter((id) => ids.has(id)).length / q.relevant.length;
    }
    return sum / QUERIES.length;
  };
  const keyword = await recall('keyword');
  const semantic = await recall('semantic');
  const hybrid = await recall('hybrid');
  console.info(`recall@10 keyword ${keyword.toFixed(2)} semantic ${semantic.toFixed(2)} hybrid ${hybrid.toFixed(2)}`);
  // The set is built so neither list alone is perfect; if it were, the comparison would prove little.
  expect(keyword).toBeLessThan(1);
  expect(hybrid).toBeGreaterThanOrEqual(Math.max(keyword, semantic));
  expect(hybrid).toBeGreaterThanOrEqual(0.9);
});
