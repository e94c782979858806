// An import runs on the archive worker's own connection; semantic search on the profile's main
// connection must find the imported vectors afterwards, even when its in-memory index was built
// before the import.
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { embedPending } from '../../src/main/search';
import { createHashedProvider } from '../../src/main/search/providers/hashed';
import { modelKey } from '../../src/main/search/providers/port';
import { semanticSearch } from '../../src/main/search/semantic';
import { makeCore, must, tempDir, type TestCore } from '../support/core';
import { addMemory } from '../search/fixture';

const now = () => new Date('2026-04-01T00:00:00.000Z');
const provider = createHashedProvider(768);
let dir: ReturnType<typeof tempDir>;
let host: TestCore;
beforeEach(() => {
  dir = tempDir();
  host = makeCore(join(dir.path, 'data'), { clock: { now } });
});
afterEach(async () => {
  await host.close();
  dir.remove();
});

async function profile(name: string): Promise<string> {
  const protection = { kind: 'passphrase', passphrase: 'correct horse battery staple' } as const;
  return must(await host.core.invoke('profiles.create', { name, protection })).profile.id;
}

async function nearest(profileId: string, query: string): Promise<string[]> {
  const [vector] = (await provider.embed([query], 'query')) as [Float32Array];
  // indexThreshold 0: answer from the in-memory index, the part that could go stale.
  return semanticSearch(host.core.vault.session(profileId).db, {
    vector,
    model: modelKey(provider),
    filters: { includeTrash: false },
    limit: 3,
    indexThreshold: 0,
  }).map((h) => h.id);
}

test('semantic search finds vectors that an import wrote on the worker connection', async () => {
  const [a, b] = [await profile('A'), await profile('B')];
  const db = (id: string) => host.core.vault.session(id).db;
  addMemory(db(a), 'm-tomato', 'Tomatoes on the balcony need water twice a day');
  addMemory(db(a), 'm-pricing', 'Dana wants the pricing sheet before the vendor call');
  expect((await embedPending(db(a), provider, { now })).embedded).toBe(2);
  const out = join(dir.path, 'vectors.angelmem');
  must(await host.core.invoke('archive.export', { profileId: a, path: out, filter: { embeddings: true } }));

  addMemory(db(b), 'm-local', 'Coffee with the logistics team on Thursday');
  expect((await embedPending(db(b), provider, { now })).embedded).toBe(1);
  // The index is built now, before the import, and holds only m-local.
  expect(await nearest(b, 'tomatoes balcony water')).toEqual(['m-local']);

  const report = must(await host.core.invoke('archive.import', { profileId: b, path: out, strategy: 'skip' }));
  expect(report.counts.embeddings?.inserted).toBe(2);
  expect((await nearest(b, 'tomatoes balcony water'))[0]).toBe('m-tomato');
  expect((await nearest(b, 'pricing sheet for the vendor'))[0]).toBe('m-pricing');
});
