// Crash test for embedding through the outbox: the real built `angel-memory embed` process drains
// the profile's embedding queue (jobs queued by local edits through the core, the rest by its sweep)
// against the fake Ollama server, whose answers are held so a batch is in flight, and is SIGKILLed
// five times mid-batch, leaving leased jobs behind; then it runs to completion. Afterwards every live
// memory has exactly one vector for the model, every embeddings row has its vector, no vector is
// orphaned, and every item's job finished exactly once (none pending, leased or dead).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Db } from '../../src/main/db/open';
import { createMemory } from '../../src/main/db/repos/memories';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startFakeOllama } from '../fakes/ollama-server';
import { BIN, runBin } from '../support/cli';
import { makeCore, must, tempDir } from '../support/core';
import { testContext } from '../support/db';

const PASS = 'embedding crash passphrase';
const MEMORIES = 300;
/** Memories added through the `memories.create` channel, which queues their embed jobs itself. */
const THROUGH_CORE = 40;
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
  for (let i = 0; i < THROUGH_CORE; i++) {
    must(
      await t.core.invoke('memories.create', {
        profileId: id,
        content: `memory number ${i} about topic ${i % 17}`,
        category: 'manual',
      }),
    );
  }
  const db = t.core.vault.session(id).db;
  expect(db.prepare("SELECT count(*) AS n FROM outbox WHERE kind = 'embed' AND state = 'pending'").get()).toEqual({
    n: THROUGH_CORE,
  });
  db.transaction(() => {
    for (let i = THROUGH_CORE; i < MEMORIES; i++) {
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

const count = (db: Db, sql: string) => (db.prepare(sql).get() as { n: number }).n;

/** Runs `fn` over the vault opened in this process (no relay runs here). */
async function withVault<T>(fn: (db: Db) => T): Promise<T> {
  const t = makeCore(dir.path);
  try {
    await t.core.unlock('crash', { kind: 'passphrase', passphrase: PASS });
    return fn(t.core.vault.session('crash').db);
  } finally {
    await t.close();
  }
}

test('the embedding queue survives SIGKILL mid-batch without duplicates or losses', async () => {
  for (let k = 1; k <= KILLS; k++) await killDuring(fake.requests.length + 3);
  // The killed processes left their batch leased: the next one takes those leases back at once.
  const leased = await withVault((db) =>
    count(db, "SELECT count(*) AS n FROM outbox WHERE kind = 'embed' AND state = 'leased'"),
  );
  expect(leased).toBeGreaterThan(0);
  const requestsBeforeLast = fake.requests.length;
  const last = await runBin([...args.slice(0, 2), '--json', ...args.slice(2)], env());
  expect(last.code).toBe(0);
  const report = JSON.parse(last.stdout) as { embedded: number; remaining: number; backlog: number };
  expect(report).toMatchObject({ remaining: 0, backlog: 0 });
  // Killed runs stored whole batches only; the last run embedded the rest and nothing twice.
  const sentTexts = fake.texts();
  expect(report.embedded).toBeLessThan(MEMORIES);
  expect(fake.requests.length).toBeGreaterThan(requestsBeforeLast);
  expect(new Set(sentTexts).size).toBe(MEMORIES);

  await withVault((db) => {
    const n = (sql: string) => count(db, sql);
    expect(n("SELECT count(*) AS n FROM embeddings WHERE model = 'ollama:nomic-embed-text@768'")).toBe(MEMORIES);
    expect(n('SELECT count(DISTINCT item_pk) AS n FROM embeddings')).toBe(MEMORIES);
    expect(n('SELECT count(*) AS n FROM vec_embeddings')).toBe(MEMORIES);
    expect(n('SELECT count(*) AS n FROM embeddings e JOIN vec_embeddings v ON v.rowid = e.pk')).toBe(MEMORIES);
    expect(
      n('SELECT count(*) AS n FROM memories m WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.item_pk = m.pk)'),
    ).toBe(0);
    // The queue: every item's job is done, one per item, nothing left pending, leased or dead.
    expect(n("SELECT count(*) AS n FROM outbox WHERE kind = 'embed' AND state != 'done'")).toBe(0);
    expect(n("SELECT count(DISTINCT entity) AS n FROM outbox WHERE kind = 'embed' AND state = 'done'")).toBe(MEMORIES);
    expect(n("SELECT count(*) AS n FROM outbox WHERE kind = 'embed'")).toBe(MEMORIES);
  });
});
