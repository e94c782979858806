// The search service over one vault: after the user switches the Ollama model, queries keep being
// answered with the old model's vectors until the new model covers as many items, then switch.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeSetting } from '../../src/main/db/repos/settings';
import { createSearchService } from '../../src/main/search/service';
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
  const service = createSearchService({ db: () => t.db, now: () => new Date('2026-04-01T00:00:00Z') });
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
