// The headless host runs the embedding relay in the background: `angel-memory serve` (the built CLI,
// a real child process) embeds a vault's memories through the outbox against the fake Ollama server
// without anyone running `embed`, and stops cleanly on SIGTERM with every job finished.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMemory } from '../../src/main/db/repos/memories';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startFakeOllama } from '../fakes/ollama-server';
import { startServe } from '../support/cli';
import { makeCore, must, tempDir } from '../support/core';
import { testContext } from '../support/db';

const PASS = 'background embedding passphrase';
const MEMORIES = 25;
const dir = tempDir('angel-memory-embed-serve-');
let fake: FakeEmbeddingServer;

beforeAll(async () => {
  fake = await startFakeOllama();
  const t = makeCore(dir.path);
  const created = must(
    await t.core.invoke('profiles.create', { name: 'Bea', protection: { kind: 'passphrase', passphrase: PASS } }),
  );
  t.core.settings.set(created.profile.id, 'embedding.provider', 'ollama', 'test');
  // No automatic backup at start: this is about embedding, and serve is stopped again soon.
  t.core.settings.set(created.profile.id, 'backup.intervalHours', '0', 'test');
  const db = t.core.vault.session(created.profile.id).db;
  db.transaction(() => {
    for (let i = 0; i < MEMORIES; i++) {
      createMemory(db, { content: `served memory ${i}`, category: 'manual', origin: 'local' }, testContext());
    }
  })();
  await t.close();
});
afterAll(async () => {
  await fake.close();
  dir.remove();
});

test('serve embeds the vault in the background and stops cleanly', async () => {
  // The child inherits this process's environment: point its Ollama at the fake.
  process.env.ANGEL_MEMORY_OLLAMA_URL = fake.url;
  const served = await startServe(dir.path, 'Bea', PASS, ['--no-sync']);
  let stderr = '';
  served.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    for (let i = 0; i < 500 && new Set(fake.texts()).size < MEMORIES; i++) await new Promise((r) => setTimeout(r, 20));
    expect(new Set(fake.texts()).size).toBe(MEMORIES);
  } finally {
    served.child.kill('SIGTERM');
    expect(await served.exited, stderr).toBe(0);
    delete process.env.ANGEL_MEMORY_OLLAMA_URL;
  }

  const t = makeCore(dir.path);
  try {
    await t.core.unlock('Bea', { kind: 'passphrase', passphrase: PASS });
    const db = t.core.vault.session('Bea').db;
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(n("SELECT count(*) AS n FROM embeddings WHERE model = 'ollama:nomic-embed-text@768'")).toBe(MEMORIES);
    expect(n("SELECT count(*) AS n FROM outbox WHERE kind = 'embed' AND state != 'done'")).toBe(0);
    expect(fake.texts()).toHaveLength(MEMORIES);
  } finally {
    await t.close();
  }
});
