// OMI sync against the fake Developer API over real HTTP, with a real encrypted vault: pull, push
// through the outbox, deletion reconcile, remote and local edits, conflicts, dead letters, and the
// headless host syncing conversations that were missed while it was stopped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFileLogger } from '../../src/main/logging';
import { startHeadless } from '../../src/main/server';
import { createFakeOmi, type FakeConversation, type FakeOmi } from '../fakes/omi-server';
import { must, tempDir } from '../support/core';
import { json, send } from '../support/http';
import { FakeClock, openSyncCore, type SyncCore } from './support';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures', name), 'utf8')) as unknown;
const conversationFixture = fixture('conversation-created.json') as FakeConversation;
const listedMemories = fixture('dev-api.memories-list.json') as { content: string; category: string; tags: string[] }[];

let dir: ReturnType<typeof tempDir>;
let omi: FakeOmi;
let s: SyncCore;

beforeEach(async () => {
  dir = tempDir();
  omi = await createFakeOmi({ rateLimit: false });
});
afterEach(async () => {
  await s?.close();
  await omi.close();
  dir.remove();
  FakeClock.restore();
});

const open = async (options: Parameters<typeof openSyncCore>[2] = {}) =>
  (s = await openSyncCore(dir.path, omi.url, { ports: { rateLimit: null }, ...options }));
const db = () => s.core.vault.session(s.profileId).db;
const run = async (full = true) => must(await s.core.invoke('sync.run', { profileId: s.profileId, full }));
const memoryRow = (id: string) =>
  db()
    .prepare('SELECT content, remote_id, remote_hash, remote_deleted_at, deleted_at FROM memories WHERE id = ?')
    .get(id) as {
    content: string;
    remote_id: string | null;
    remote_hash: string | null;
    remote_deleted_at: string | null;
    deleted_at: string | null;
  };
const writes = () => omi.requests.filter((r) => r.method !== 'GET');
const remoteContents = () => [...omi.state.memories.values()].map((m) => m.content).sort();

describe('pull', () => {
  test('memories, conversations with transcripts and action items arrive; incremental pages stop at known items', async () => {
    for (const m of listedMemories) omi.addMemory(m);
    for (let i = 0; i < 120; i++)
      omi.addMemory({ content: `remote memory ${i}`, category: i % 2 ? 'interesting' : 'hobbies' });
    omi.addConversation({ ...conversationFixture, id: 'conv-1' });
    omi.addConversation({ ...conversationFixture, id: 'conv-locked', is_locked: true });
    omi.addActionItem({ description: 'Send the invoice' });
    await open();
    const events: unknown[] = [];
    s.core.on('sync.status', (e) => events.push(e));

    const report = await run();
    expect(report.ok).toBe(true);
    expect(report.pull?.memories.created).toBe(122);
    // Status is pushed after the pass.
    expect(events.at(-1)).toMatchObject({ profileId: s.profileId, breaker: 'closed', backlog: 0, lastError: null });
    expect((events.at(-1) as { lastSuccessAt: string | null }).lastSuccessAt).not.toBeNull();
    const page = must(await s.core.invoke('memories.list', { profileId: s.profileId, limit: 1000 }));
    expect(page.total).toBe(122);
    expect(page.items.every((m) => m.origin === 'sync')).toBe(true);
    // Legacy categories map to "system".
    expect(page.items.find((m) => m.content === 'remote memory 0')?.category).toBe('system');
    const conv = must(await s.core.invoke('conversations.get', { profileId: s.profileId, id: 'conv-1' }));
    expect(conv.origin).toBe('sync');
    expect(conv.segments.length).toBe((conversationFixture.transcript_segments as unknown[]).length);
    expect(db().prepare("SELECT count(*) AS n FROM conversations WHERE id = 'conv-locked'").get()).toEqual({ n: 0 });
    expect(db().prepare('SELECT description, origin FROM action_items WHERE remote_id IS NOT NULL').all()).toEqual([
      { description: 'Send the invoice', origin: 'sync' },
    ]);
    // Nothing pulled is pushed back.
    expect(writes()).toEqual([]);
    expect(db().prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });

    omi.addMemory({ content: 'brand new remote memory' });
    omi.requests.length = 0;
    const incremental = await run(false);
    expect(incremental.pull?.memories.created).toBe(1);
    const memoryPages = omi.requests.filter((r) => r.path.endsWith('/user/memories'));
    expect(memoryPages.map((r) => r.query.offset)).toEqual(['0']);
  });

  test('50 conversations created while the app was stopped are present after start; their webhooks add no duplicates', async () => {
    await open();
    await s.close();
    const ids = Array.from({ length: 50 }, (_, i) => `missed-${i}`);
    for (const id of ids) {
      omi.addConversation({
        ...conversationFixture,
        id,
        structured: { ...(conversationFixture.structured as object), title: id },
      });
    }
    // A long interval: any pass after the first one comes from the webhook gap.
    await open({ create: false, ports: { rateLimit: null, intervalMs: 3_600_000 } });
    const logs = createFileLogger({ dir: join(dir.path, 'serve-logs') });
    const headless = await startHeadless({
      core: s.core,
      profileId: s.profileId,
      webhookPort: 0,
      sync: true,
      logger: logs.logger,
    });
    try {
      for (let i = 0; i < 800 && !s.core.sync.status(s.profileId).lastSuccessAt; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(s.core.sync.status(s.profileId).lastSuccessAt).not.toBeNull();
      const count = () =>
        (db().prepare("SELECT count(*) AS n FROM conversations WHERE id LIKE 'missed-%'").get() as { n: number }).n;
      expect(count()).toBe(50);
      const memoryReads = () => omi.requests.filter((r) => r.path.endsWith('/user/memories')).length;
      const readsBefore = memoryReads();
      // OMI's delayed deliveries of the same conversations (full webhook bodies) arrive later.
      for (const id of ids) {
        const body = {
          ...conversationFixture,
          id,
          structured: { ...(conversationFixture.structured as object), title: id },
        };
        const res = await send(`${headless.webhookUrl}/conversation?uid=u1`, json(body));
        expect(res.status).toBe(200);
      }
      expect(count()).toBe(50);
      // The first delivery after a long silence (here: since start) triggered another pass.
      for (let i = 0; i < 800 && memoryReads() === readsBefore; i++) await new Promise((r) => setTimeout(r, 25));
      expect(memoryReads()).toBeGreaterThan(readsBefore);
      // No duplicates anywhere: not in conversations, their transcripts or their action items.
      const perConversation = db()
        .prepare(
          `SELECT c.id, (SELECT count(*) FROM transcript_segments t WHERE t.conversation_id = c.id) AS segments,
             (SELECT count(*) FROM action_items a WHERE a.conversation_id = c.id) AS items
           FROM conversations c WHERE c.id LIKE 'missed-%'`,
        )
        .all() as { id: string; segments: number; items: number }[];
      expect(perConversation).toHaveLength(50);
      const segments = (conversationFixture.transcript_segments as unknown[]).length;
      const items = (conversationFixture.structured as { action_items: unknown[] }).action_items.length;
      expect(segments).toBeGreaterThan(0);
      expect(items).toBeGreaterThan(0);
      for (const c of perConversation) expect(c, c.id).toEqual({ id: c.id, segments, items });
    } finally {
      await headless.close();
      await logs.close();
    }
  });
});

describe('push through the outbox', () => {
  test('creates, edits and deletes are queued with the change and applied once; creates go in batches of 25', async () => {
    await open();
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      ids.push(
        must(await s.core.invoke('memories.create', { profileId: s.profileId, content: `local memory ${i}` })).id,
      );
    }
    const jobs = db().prepare("SELECT entity, state FROM outbox WHERE kind = 'omi.memory'").all() as {
      entity: string;
      state: string;
    }[];
    expect(jobs).toHaveLength(60);
    expect(jobs.every((j) => j.state === 'pending')).toBe(true);
    expect(s.core.sync.status(s.profileId).backlog).toBe(60);

    const report = await run();
    expect(report.ok).toBe(true);
    expect(report.push?.created).toBe(60);
    const batches = writes().filter((r) => r.path.endsWith('/user/memories/batch'));
    expect(batches.map((r) => (r.body as { memories: unknown[] }).memories.length)).toEqual([25, 25, 10]);
    expect(omi.state.memories.size).toBe(60);
    expect(memoryRow(ids[0]!).remote_id).toMatch(/^m_/);

    must(await s.core.invoke('memories.update', { profileId: s.profileId, id: ids[1]!, content: 'edited locally' }));
    must(await s.core.invoke('memories.delete', { profileId: s.profileId, id: ids[2]! }));
    omi.requests.length = 0;
    expect((await run()).ok).toBe(true);
    expect(
      writes()
        .map((r) => r.method)
        .sort(),
    ).toEqual(['DELETE', 'PATCH']);
    expect(remoteContents()).toContain('edited locally');
    expect(remoteContents()).not.toContain('local memory 2');
    expect(memoryRow(ids[2]!).remote_deleted_at).not.toBeNull();
    expect(memoryRow(ids[2]!).deleted_at).not.toBeNull();
    // Every key changed the server at most once, and nothing was created twice.
    expect([...omi.state.effectiveWrites.values()].every((n) => n === 1)).toBe(true);
    expect(omi.state.dedupedCreates).toBe(0);
    omi.requests.length = 0;
    expect((await run()).ok).toBe(true);
    expect(writes()).toEqual([]);
    expect(s.core.sync.status(s.profileId).backlog).toBe(0);
  });

  test('without a key nothing is queued; the first full pass after setting one pushes what is unsynced', async () => {
    await open({ key: null });
    must(await s.core.invoke('memories.create', { profileId: s.profileId, content: 'written offline' }));
    expect(db().prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    const unconfigured = await run();
    expect(unconfigured.ok).toBe(false);
    expect(unconfigured.errors[0]?.code).toBe('UNAUTHORIZED');
    expect(omi.requests).toEqual([]);
    s.core.settings.set(s.profileId, 'omi.apiKey', 'omi_dev_fake_key_0123456789', 'test');
    expect((await run()).ok).toBe(true);
    expect(remoteContents()).toEqual(['written offline']);
  });

  test('a create whose answer was lost is looked up before it is sent again', async () => {
    await open({ ports: { rateLimit: null, jobRetryInitialDelayMs: 3_600_000, jobRetryMaxDelayMs: 3_600_000 } });
    const m = must(await s.core.invoke('memories.create', { profileId: s.profileId, content: 'answer lost' }));
    omi.inject({ kind: 'truncate', after: true, match: (r) => r.method === 'POST' });
    const first = await run();
    expect(first.ok).toBe(false); // the job waits for its retry
    expect(first.push?.retried).toBe(1);
    expect(omi.state.memories.size).toBe(1); // it did reach OMI
    db().prepare('UPDATE outbox SET next_attempt_at = ?').run(new Date(0).toISOString()); // the backoff is over
    const second = await run();
    expect(second.ok).toBe(true);
    // Found by the content it was sent with (by the pull here; the relay looks it up itself too).
    expect(second.pull!.memories.updated + second.push!.adopted).toBe(1);
    expect(second.pull!.memories.created).toBe(0);
    expect(memoryRow(m.id).remote_id).toBe([...omi.state.memories.keys()][0]);
    expect(omi.state.dedupedCreates).toBe(0);
    expect(omi.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test('a permanent 4xx is a dead letter at once, visible in status, and retryable by the user', async () => {
    await open();
    const long = 'x'.repeat(600); // OMI takes 1-500 characters
    const m = must(await s.core.invoke('memories.create', { profileId: s.profileId, content: long }));
    must(await s.core.invoke('memories.create', { profileId: s.profileId, content: 'fine' }));
    const report = await run();
    expect(report.errors).toEqual([]);
    expect(report.push?.dead).toBe(1);
    expect(report.push?.created).toBe(1); // the batch was split to find the invalid one
    expect(report.ok).toBe(false);
    const status = s.core.sync.status(s.profileId);
    expect(status.deadLetters).toBe(1);
    const dead = must(await s.core.invoke('sync.deadLetters', { profileId: s.profileId }));
    expect(dead.items).toMatchObject([{ entity: `memory:${m.id}`, attempts: 1 }]);
    expect(dead.items[0]!.lastError).toMatch(/422/);

    must(await s.core.invoke('memories.update', { profileId: s.profileId, id: m.id, content: 'shorter now' }));
    expect(must(await s.core.invoke('sync.retry', { profileId: s.profileId, ids: [dead.items[0]!.id] }))).toEqual({
      retried: 1,
    });
    expect((await run()).ok).toBe(true);
    expect(remoteContents()).toEqual(['fine', 'shorter now']);
    expect(s.core.sync.status(s.profileId).deadLetters).toBe(0);
  });
});

describe('breaker in the relay', () => {
  test('an open breaker pauses the relay, sends nothing and drops nothing; after the probe it resumes', async () => {
    // A fake clock (cockatiel's breaker reads Date): the half-open delay passes only when the test says
    // so, however slow the machine is.
    const clock = new FakeClock();
    await open({ clock, ports: { rateLimit: null, breakerThreshold: 2, breakerHalfOpenMs: 60_000 } });
    for (const n of [1, 2, 3])
      must(await s.core.invoke('memories.create', { profileId: s.profileId, content: `kept ${n}` }));
    omi.inject({ kind: 'status', status: 503, times: 1000 });
    const failing = await run();
    expect(failing.ok).toBe(false);
    expect(s.core.sync.status(s.profileId).breaker).toBe('open');

    // Whether the breaker opened in the pull (then the push was paused at once) or on the push's own
    // failed batch (then its jobs wait out their 1-2 ms retry delay) depends on how many of the pull's
    // requests fail first: past that delay, and long before the half-open one, every job is ready again.
    clock.advance(10);
    const sent = omi.requests.length;
    const paused = await run();
    expect(omi.requests.length).toBe(sent); // zero requests while open
    expect(paused.push?.paused).toMatch(/breaker is open/);
    expect(paused.errors.map((e) => e.code)).toContain('UNAVAILABLE');
    const status = s.core.sync.status(s.profileId);
    expect(status).toMatchObject({ breaker: 'open', backlog: 3, deadLetters: 0 });
    expect(status.nextAttemptAt).not.toBeNull();

    // A restart remembers it: still open, still no request, the same probe time.
    await s.close();
    await open({ clock, create: false, ports: { rateLimit: null, breakerThreshold: 2, breakerHalfOpenMs: 60_000 } });
    expect(s.core.sync.status(s.profileId)).toMatchObject({ breaker: 'open', nextAttemptAt: status.nextAttemptAt });
    expect((await run()).push?.paused).toMatch(/breaker is open/);
    expect(omi.requests.length).toBe(sent);

    omi.clearFaults();
    clock.advance(60_000); // the half-open delay
    const resumed = await run();
    expect(resumed.ok).toBe(true);
    expect(remoteContents()).toEqual(['kept 1', 'kept 2', 'kept 3']);
    expect(s.core.sync.status(s.profileId)).toMatchObject({ breaker: 'closed', backlog: 0, deadLetters: 0 });
    const attempts = db().prepare('SELECT max(attempts) AS n FROM outbox').get() as { n: number };
    expect(attempts.n).toBeLessThanOrEqual(1); // the paused pass did not count as a try
  });
});

describe('reconcile', () => {
  async function linked(content: string) {
    const remote = omi.addMemory({ content });
    await run();
    const id = (db().prepare('SELECT id FROM memories WHERE remote_id = ?').get(remote.id) as { id: string }).id;
    return { remote, id };
  }

  test('remote deletion: moved to the trash, marked deleted remotely, never purged', async () => {
    await open();
    const { remote, id } = await linked('will vanish on OMI');
    omi.addConversation({ ...conversationFixture, id: 'conv-gone' });
    await run();
    omi.state.memories.delete(remote.id);
    omi.state.conversations.delete('conv-gone');
    const report = await run();
    expect(report.pull?.memories.remoteDeleted).toBe(1);
    expect(report.pull?.conversations.remoteDeleted).toBe(1);
    const row = memoryRow(id);
    expect(row.deleted_at).not.toBeNull();
    expect(row.remote_deleted_at).not.toBeNull();
    expect(row.content).toBe('will vanish on OMI');
    expect(must(await s.core.invoke('memories.list', { profileId: s.profileId, trash: true })).total).toBe(1);
    const conv = must(await s.core.invoke('conversations.get', { profileId: s.profileId, id: 'conv-gone' }));
    expect(conv.deletedAt).not.toBeNull();
    expect(writes()).toEqual([]); // nothing is deleted back
  });

  test('remote edit: applied locally with the previous text kept as a version', async () => {
    await open();
    const { remote, id } = await linked('coffee at nine');
    omi.state.memories.set(remote.id, { ...remote, content: 'coffee at ten', updated_at: new Date().toISOString() });
    const report = await run();
    expect(report.pull?.memories.updated).toBe(1);
    const m = must(await s.core.invoke('memories.get', { profileId: s.profileId, id }));
    expect(m.content).toBe('coffee at ten');
    expect(m.versions.map((v) => v.content)).toEqual(['coffee at nine']);
    expect(writes()).toEqual([]);
  });

  test('local edit: pushed with PATCH', async () => {
    await open();
    const { remote, id } = await linked('tea, not coffee');
    must(
      await s.core.invoke('memories.update', {
        profileId: s.profileId,
        id,
        content: 'green tea, not coffee',
        tags: ['drinks'],
      }),
    );
    expect((await run()).ok).toBe(true);
    expect(omi.state.memories.get(remote.id)).toMatchObject({ content: 'green tea, not coffee', tags: ['drinks'] });
    expect(writes().map((r) => r.method)).toEqual(['PATCH']);
  });

  test('both sides changed: both kept, listed, and resolved as mine, theirs or an edit', async () => {
    await open();
    const a = await linked('conflict a');
    const b = await linked('conflict b');
    const c = await linked('conflict c');
    for (const [x, n] of [
      [a, 'a'],
      [b, 'b'],
      [c, 'c'],
    ] as const) {
      must(await s.core.invoke('memories.update', { profileId: s.profileId, id: x.id, content: `mine ${n}` }));
      omi.state.memories.set(x.remote.id, { ...x.remote, content: `theirs ${n}` });
    }
    const report = await run();
    expect(report.pull?.memories.conflicts).toBe(3);
    expect(writes()).toEqual([]); // neither side is overwritten
    const listed = must(await s.core.invoke('sync.conflicts', { profileId: s.profileId })).items;
    expect(listed.map((x) => [x.mine.content, x.theirs.content]).sort()).toEqual([
      ['mine a', 'theirs a'],
      ['mine b', 'theirs b'],
      ['mine c', 'theirs c'],
    ]);
    expect(s.core.sync.status(s.profileId).conflicts).toBe(3);
    // A second pass keeps the conflicts, still pushes nothing.
    await run();
    expect(writes()).toEqual([]);

    must(await s.core.invoke('sync.resolve', { profileId: s.profileId, memoryId: a.id, resolution: 'mine' }));
    const theirs = must(
      await s.core.invoke('sync.resolve', { profileId: s.profileId, memoryId: b.id, resolution: 'theirs' }),
    );
    expect(theirs.content).toBe('theirs b');
    must(
      await s.core.invoke('sync.resolve', {
        profileId: s.profileId,
        memoryId: c.id,
        resolution: 'edit',
        content: 'merged c',
      }),
    );
    const bad = await s.core.invoke('sync.resolve', { profileId: s.profileId, memoryId: c.id, resolution: 'mine' });
    expect(bad.ok).toBe(false);
    expect((await run()).ok).toBe(true);
    expect(omi.state.memories.get(a.remote.id)?.content).toBe('mine a');
    expect(omi.state.memories.get(b.remote.id)?.content).toBe('theirs b');
    expect(omi.state.memories.get(c.remote.id)?.content).toBe('merged c');
    expect(memoryRow(b.id).content).toBe('theirs b');
    expect(memoryRow(c.id).content).toBe('merged c');
    expect(s.core.sync.status(s.profileId).conflicts).toBe(0);
  });

  test('a locked, truncated remote copy never overwrites the fuller local one', async () => {
    await open();
    const full = 'A long memory about the garden: tomatoes on the balcony need water every morning in July.';
    const { remote, id } = await linked(full);
    omi.state.memories.set(remote.id, { ...remote, locked: true });
    const report = await run();
    expect(report.ok).toBe(true);
    expect(memoryRow(id).content).toBe(full);
    expect(report.pull?.memories.conflicts).toBe(0);
  });
});
