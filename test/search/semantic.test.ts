// Embedding the vault and searching it semantically, over a real encrypted database and the fake
// embedding servers on loopback: batches, resumption after a provider failure without duplicates or
// losses, re-embedding on edit and on model change, refusing a dimension mismatch, the pass budget,
// redaction of what the fake receives, and the keyword fallback with a notice.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { updateMemory } from '../../src/main/db/repos/memories';
import { AppError } from '../../src/main/errors';
import {
  embedPending,
  NO_EMBEDDINGS_NOTICE,
  NO_PROVIDER_NOTICE,
  pendingCount,
  PROVIDER_FAILED_NOTICE,
  searchWith,
  type SearchArgs,
} from '../../src/main/search';
import { createGeminiProvider } from '../../src/main/search/providers/gemini';
import { createHashedProvider } from '../../src/main/search/providers/hashed';
import { createOllamaProvider } from '../../src/main/search/providers/ollama';
import { modelKey } from '../../src/main/search/providers/port';
import { usageToday } from '../../src/main/search/usage';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startFakeGemini } from '../fakes/gemini-server';
import { startFakeOllama } from '../fakes/ollama-server';
import { openTestDb, testContext, type TestDb } from '../support/db';
import { addMemory, buildVault } from './fixture';

const now = () => new Date('2026-04-01T00:00:00.000Z');
// buildVault: 4 live memories (one trashed, never embedded) and 2 conversations.
const LIVE_ITEMS = 6;

let ollama: FakeEmbeddingServer;
let gemini: FakeEmbeddingServer;
beforeAll(async () => {
  ollama = await startFakeOllama();
  gemini = await startFakeGemini();
});
afterAll(async () => {
  await ollama.close();
  await gemini.close();
});

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
  buildVault(t.db);
  ollama.requests.splice(0);
  gemini.requests.splice(0);
});
afterEach(() => t.close());

const local = (model = 'nomic-embed-text') =>
  createOllamaProvider({ baseUrl: ollama.url, model, dims: 768, timeoutMs: 2_000 });
const count = (sql: string, ...args: unknown[]) => (t.db.prepare(sql).get(...args) as { n: number }).n;
const args = (query: string, mode: SearchArgs['mode']): SearchArgs => ({
  query,
  mode,
  filters: { includeTrash: false },
  limit: 10,
  offset: 0,
  prefix: false,
});

describe('embedPending', () => {
  it('embeds every live memory and conversation once, in batches, recording the model', async () => {
    const p = local();
    const report = await embedPending(t.db, p, { now, batchSize: 2 });
    expect(report).toMatchObject({ model: 'ollama:nomic-embed-text@768', embedded: LIVE_ITEMS, calls: 3 });
    expect(ollama.requests.every((r) => (r.body as { input: string[] }).input.length <= 2)).toBe(true);
    expect(count('SELECT count(*) AS n FROM embeddings WHERE model = ? AND dims = 768', modelKey(p))).toBe(LIVE_ITEMS);
    expect(count('SELECT count(*) AS n FROM vec_embeddings')).toBe(LIVE_ITEMS);
    expect(ollama.texts()).not.toContain('An old coffee note that was thrown away');

    expect((await embedPending(t.db, p, { now })).embedded).toBe(0);
    updateMemory(t.db, 'm-garden', { content: 'Tomatoes on the balcony need water twice a day' }, testContext());
    expect(pendingCount(t.db, modelKey(p))).toBe(1);
    expect((await embedPending(t.db, p, { now })).embedded).toBe(1);
    expect(count('SELECT count(*) AS n FROM vec_embeddings')).toBe(LIVE_ITEMS);
  });

  it('keeps finished batches when the provider fails and resumes without duplicates or losses', async () => {
    ollama.inject('http500');
    const p = local();
    addMemory(t.db, 'm-extra', 'one more memory about the vendor');
    // First batch fails: nothing stored, the error surfaces.
    await expect(embedPending(t.db, p, { now, batchSize: 2 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(count('SELECT count(*) AS n FROM embeddings')).toBe(0);
    // Down after the first batch: two stored, the rest pending.
    const first = embedPending(t.db, p, { now, batchSize: 2, onProgress: () => void (ollama.down = true) });
    await expect(first).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(count('SELECT count(*) AS n FROM embeddings')).toBe(2);
    ollama.down = false;
    const rest = await embedPending(t.db, p, { now, batchSize: 2 });
    expect(rest.embedded).toBe(LIVE_ITEMS - 1);
    expect(count('SELECT count(*) AS n FROM embeddings')).toBe(LIVE_ITEMS + 1);
    expect(
      count(
        'SELECT count(*) AS n FROM (SELECT kind, item_pk FROM embeddings GROUP BY kind, item_pk HAVING count(*) > 1)',
      ),
    ).toBe(0);
  });

  it('sends nothing once the pass budget is spent', async () => {
    expect((await embedPending(t.db, local(), { now, maxItems: 0 })).embedded).toBe(0);
    expect(ollama.requests).toHaveLength(0);
    expect((await embedPending(t.db, local(), { now, maxItems: 3 })).embedded).toBe(3);
    expect(ollama.texts()).toHaveLength(3);
  });

  it('meters usage per day and sends nothing once the daily budget is spent', async () => {
    let day = new Date('2026-04-01T10:00:00.000Z');
    const clock = () => day;
    const texts = (
      t.db.prepare('SELECT content FROM memories WHERE deleted_at IS NULL ORDER BY pk').all() as {
        content: string;
      }[]
    ).map((r) => r.content);
    // Room for the first two memories and not the third.
    const budget = texts[0]!.length + texts[1]!.length + 1;
    const first = await embedPending(t.db, local(), { now: clock, batchSize: 10, dailyCharacters: budget });
    expect(first).toMatchObject({ embedded: 2, paused: 'budget', calls: 1 });
    expect(usageToday(t.db, 'ollama', day)).toEqual({ calls: 1, characters: budget - 1 });
    const before = ollama.requests.length;
    const again = await embedPending(t.db, local(), { now: clock, dailyCharacters: budget });
    expect(again).toMatchObject({ embedded: 0, paused: 'budget' });
    expect(ollama.requests).toHaveLength(before);
    // A new day: the queue resumes where it stopped.
    day = new Date('2026-04-02T00:00:01.000Z');
    const next = await embedPending(t.db, local(), { now: clock, dailyCharacters: 10_000 });
    expect(next).toMatchObject({ embedded: LIVE_ITEMS - 2, paused: null });
    expect(usageToday(t.db, 'ollama', new Date('2026-04-01T23:00:00.000Z')).calls).toBe(1);
  });

  it('re-embeds everything once for a new model while the old vectors stay', async () => {
    await embedPending(t.db, local('old-model'), { now });
    const report = await embedPending(t.db, local('new-model'), { now });
    expect(report.embedded).toBe(LIVE_ITEMS);
    expect((await embedPending(t.db, local('new-model'), { now })).embedded).toBe(0);
    expect(count("SELECT count(*) AS n FROM embeddings WHERE model = 'ollama:old-model@768'")).toBe(LIVE_ITEMS);
    const old = await searchWith(t.db, local('old-model'), args('balcony tomatoes', 'semantic'));
    expect(old.modeUsed).toBe('semantic');
    expect(old.items[0]!.id).toBe('m-garden');
  });

  it('refuses a provider whose dimension differs from the vault before sending anything', async () => {
    const wrong = createOllamaProvider({ baseUrl: ollama.url, dims: 512 });
    await expect(embedPending(t.db, wrong, { now })).rejects.toThrow(AppError);
    expect(ollama.requests).toHaveLength(0);
  });

  it('redacts e-mail addresses, phone numbers and never-send words before Gemini sees them', async () => {
    addMemory(t.db, 'm-contact', 'Dana is dana@example.com, mobile +44 20 7946 0958, working on Project Falcon');
    const p = createGeminiProvider({ apiKey: 'test-key-123456', baseUrl: gemini.url, dims: 768 });
    await embedPending(t.db, p, { now, neverSend: ['Project Falcon'] });
    const sent = gemini.texts().join('\n');
    expect(sent).toContain('Dana is [email], mobile [phone], working on [redacted]');
    expect(sent).not.toMatch(/example\.com|7946|Falcon/);
  });
});

describe('searchWith', () => {
  it('answers keyword with a notice when there is no provider, no vector or no answer', async () => {
    expect((await searchWith(t.db, null, args('coffee', 'hybrid'))).notice).toBe(NO_PROVIDER_NOTICE);
    const p = local();
    expect((await searchWith(t.db, p, args('coffee', 'semantic'))).notice).toBe(NO_EMBEDDINGS_NOTICE);
    await embedPending(t.db, p, { now });
    ollama.down = true;
    try {
      const r = await searchWith(t.db, p, args('coffee', 'hybrid'));
      expect(r).toMatchObject({ modeUsed: 'keyword', notice: PROVIDER_FAILED_NOTICE });
      expect(r.items.length).toBeGreaterThan(0);
    } finally {
      ollama.down = false;
    }
  });

  it('ranks by vector distance in semantic mode and explains both lists in hybrid mode', async () => {
    const p = createHashedProvider(768);
    await embedPending(t.db, p, { now });
    const semantic = await searchWith(t.db, p, args('tomato balcony watering', 'semantic'));
    expect(semantic.modeUsed).toBe('semantic');
    expect(semantic.items[0]!.id).toBe('m-garden');
    const d = semantic.items.map((h) => h.explain.vector!.distance);
    expect([...d].sort((a, b) => a - b)).toEqual(d);

    const hybrid = await searchWith(t.db, p, args('tomatoes balcony', 'hybrid'));
    const top = hybrid.items[0]!;
    expect(top.id).toBe('m-garden');
    expect(top.explain.keyword).not.toBeNull();
    expect(top.explain.vector).not.toBeNull();
    expect(top.explain.fused).toBeCloseTo(1 / 61 + 1 / 61, 10);
    expect(top.snippet.highlights.length).toBeGreaterThan(0);
  });

  it('pages the fused list: a later page is the same slice of the whole list, keyword hits still highlighted', async () => {
    const p = createHashedProvider(768);
    await embedPending(t.db, p, { now });
    const whole = await searchWith(t.db, p, { ...args('coffee', 'hybrid'), limit: 6 });
    expect(whole.items.length).toBeGreaterThanOrEqual(4);
    const page = await searchWith(t.db, p, { ...args('coffee', 'hybrid'), offset: 2, limit: 2 });
    expect(page.items).toEqual(whole.items.slice(2, 4));
    const fused = whole.items.map((h) => h.score);
    expect([...fused].sort((a, b) => b - a)).toEqual(fused);
    for (const h of whole.items) {
      expect(h.score).toBe(h.explain.fused);
      if (h.explain.keyword) expect(h.snippet.highlights.length).toBeGreaterThan(0);
    }
  });

  it('applies filters to semantic results', async () => {
    const p = createHashedProvider(768);
    await embedPending(t.db, p, { now });
    const r = await searchWith(t.db, p, {
      ...args('coffee', 'semantic'),
      filters: { includeTrash: false, kinds: ['conversation'] },
    });
    expect(r.items.every((h) => h.kind === 'conversation')).toBe(true);
    const tagged = await searchWith(t.db, p, {
      ...args('coffee', 'semantic'),
      filters: { includeTrash: false, tags: ['work'] },
    });
    expect(tagged.items.map((h) => h.id)).toEqual(['m-pricing']);
  });
});
