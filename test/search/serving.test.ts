// The search service over one vault: after the user switches the Ollama model, queries keep being
// answered with the old model's vectors until the new model covers as many items, then switch. A
// query goes to the provider like stored text does: redacted, metered, and not at all once today's
// budget is spent (keyword answers instead).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeSetting } from '../../src/main/db/repos/settings';
import { createSilentLogger } from '../../src/main/logging';
import { PROVIDER_FAILED_NOTICE } from '../../src/main/search';
import { createSearchService } from '../../src/main/search/service';
import { usageToday } from '../../src/main/search/usage';
import { startFakeGemini } from '../fakes/gemini-server';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startFakeOllama } from '../fakes/ollama-server';
import { openTestDb, testContext, type TestDb } from '../support/db';
import { buildVault } from './fixture';

let t: TestDb;
let fake: FakeEmbeddingServer;
beforeAll(async () => {
  fake = await startFakeOllama();
  t = openTestDb();
  buildVault(t.db);
});
afterAll(async () => {
  t.close();
  await fake.close();
});

it('serves the old model during a re-embed and the new one once it covers the vault', async () => {
  const service = createSearchService({
    db: () => t.db,
    now: () => new Date('2026-04-01T00:00:00Z'),
    logger: createSilentLogger(),
  });
  service.configure({ env: { ANGEL_MEMORY_OLLAMA_URL: fake.url } });
  const set = (key: string, value: string) => writeSetting(t.db, key, value, false, testContext());
  const query = () =>
    service.query('p', {
      query: 'balcony tomatoes',
      mode: 'hybrid',
      filters: { includeTrash: false },
      limit: 5,
      offset: 0,
      prefix: false,
    });

  set('embedding.provider', 'ollama');
  set('ollama.model', 'old-model');
  expect((await service.embed('p')).embedded).toBe(6);
  expect(await query()).toMatchObject({ modeUsed: 'hybrid', model: 'ollama:old-model@768' });

  set('ollama.model', 'new-model');
  expect(service.status('p')).toMatchObject({ model: 'ollama:new-model@768', pending: 6 });
  await service.embed('p', { maxItems: 2 });
  const during = await query();
  expect(during).toMatchObject({ modeUsed: 'hybrid', model: 'ollama:old-model@768' });
  expect(during.items[0]!.id).toBe('m-garden');
  // The query was embedded by the old model, which the vectors it is compared with came from.
  expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'old-model', input: ['balcony tomatoes'] });

  await service.embed('p');
  expect(await query()).toMatchObject({ model: 'ollama:new-model@768' });
  expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'new-model' });
});

it('redacts and meters queries, and answers by keyword without sending them once the budget is spent', async () => {
  const gemini = await startFakeGemini();
  const now = new Date('2026-04-03T00:00:00Z');
  const service = createSearchService({ db: () => t.db, now: () => now, logger: createSilentLogger() });
  try {
    service.configure({ env: { ANGEL_MEMORY_GEMINI_API_URL: gemini.url } });
    const set = (key: string, value: unknown, secret = false) => writeSetting(t.db, key, value, secret, testContext());
    set('embedding.provider', 'gemini');
    set('gemini.apiKey', 'test-key-123456', true);
    expect((await service.embed('p')).embedded).toBe(6);
    const hybrid = (query: string) =>
      service.query('p', {
        query,
        mode: 'hybrid',
        filters: { includeTrash: false },
        limit: 5,
        offset: 0,
        prefix: false,
      });

    const before = usageToday(t.db, 'gemini', now);
    const answered = await hybrid('coffee with dana@example.com');
    expect(answered).toMatchObject({ modeUsed: 'hybrid', notice: null });
    expect(gemini.texts().at(-1)).toBe('coffee with [email]');
    expect(usageToday(t.db, 'gemini', now)).toEqual({
      calls: before.calls + 1,
      characters: before.characters + 'coffee with [email]'.length,
    });

    set('embedding.dailyCharacters', usageToday(t.db, 'gemini', now).characters);
    const sent = gemini.requests.length;
    const spent = await hybrid('balcony tomatoes');
    expect(spent).toMatchObject({ mode: 'hybrid', modeUsed: 'keyword', notice: PROVIDER_FAILED_NOTICE });
    expect(spent.items.map((h) => h.id)).toContain('m-garden');
    expect(gemini.requests).toHaveLength(sent);
  } finally {
    await gemini.close();
  }
});
