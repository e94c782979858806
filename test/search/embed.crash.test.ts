// Crash test for embedding: the real built `angel-memory embed` process, pointed at the fake Ollama
// server (answers held for a while so a batch is in flight), is SIGKILLed five times mid-batch and
// then run to completion. Afterwards every live memory has exactly one vector for the model, every
// embeddings row has its vector and no vector is orphaned.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMemory } from '../../src/main/db/repos/memories';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startFakeOllama } from '../fakes/ollama-server';
import { BIN, runBin } from '../support/cli';
import { makeCore, must, tempDir } from '../support/core';
import { testContext } from '../support/db';

const PASS = 'embedding crash passphrase';
const MEMORIES = 300;
const KILLS = 5;
const dir = tempDir('angel-memory-embed-crash-');
let fake: FakeEmbeddingServer;

beforeAll(async () => {
  fake = await startFakeOllama();
  fake.delayMs = 40;
  const t = makeCore(dir.path);
  const created = must(
    await t.core.invoke('profiles.create', { name: 'crash', protection: { kind: 'passphrase', passphrase: PASS } }),
  );
  const id = created.profile.id;
  t.core.settings.set(id, 'embedding.provider', 'ollama', 'test');
  const db = t.core.vault.session(id).db;
  db.transaction(() => {
    for (let i = 0; i < MEMORIES; i++) {
      createMemory(
        db,
        { content: `memory number ${i} about topic ${i % 17}`, category: 'manual', origin: 'local' },
        testContext(),
      );
    }
  })();
  await t.close();
});
afterAll(async () => {
  await fake.close();
  dir.remove();
});

const env = () => ({ ANGEL_MEMORY_PASSPHRASE: PASS, ANGEL_MEMORY_OLLAMA_URL: fake.url });
const args = ['--data-dir', dir.path, 'embed', '--profile', 'crash', '--batch', '10'];

/** Starts `embed` and SIGKILLs it while the `target`-th request overall is in flight. */
async function killDuring(target: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env() }, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  for (;;) {
    if (fake.requests.length >= target) break;
    if (child.exitCode !== null) throw new Error(`embed exited (${child.exitCode}) before it was killed`);
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

test('embedding survives SIGKILL mid-batch without duplicates or losses', async () => {
  for (let k = 1; k <= KILLS; k++) await killDuring(fake.requests.length + 3);
  const requestsBeforeLast = fake.requests.length;
  const last = await runBin([...args.slice(0, 2), '--json', ...args.slice(2)], env());
  expect(last.code).toBe(0);
  const report = JSON.parse(last.stdout) as { embedded: number; remaining: number };
  expect(report.remaining).toBe(0);
  // Killed runs stored whole batches only; the last run embedded the rest and nothing twice.
  const sentTexts = fake.texts();
  expect(report.embedded).toBeLessThan(MEMORIES);
  expect(fake.requests.length).toBeGreaterThan(requestsBeforeLast);
  expect(new Set(sentTexts).size).toBe(MEMORIES);

  const t = makeCore(dir.path);
  try {
    await t.core.unlock('crash', { kind: 'passphrase', passphrase: PASS });
    const db = t.core.vault.session('crash').db;
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(n("SELECT count(*) AS n FROM embeddings WHERE model = 'ollama:nomic-embed-text@768'")).toBe(MEMORIES);
    expect(n('SELECT count(DISTINCT item_pk) AS n FROM embeddings')).toBe(MEMORIES);
    expect(n('SELECT count(*) AS n FROM vec_embeddings')).toBe(MEMORIES);
    expect(n('SELECT count(*) AS n FROM embeddings e JOIN vec_embeddings v ON v.rowid = e.pk')).toBe(MEMORIES);
    expect(
      n('SELECT count(*) AS n FROM memories m WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.item_pk = m.pk)'),
    ).toBe(0);
  } finally {
    await t.close();
  }
});
