// Profile management and the browse channels through the core, on real encrypted vaults in a temp dir:
// change and recover a passphrase, delete a profile (locked or unlocked), empty the trash (audited),
// list filters and facets, settings and the webhook URL.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { upsertConversation } from '../../src/main/db/repos/conversations';
import { normalizeOmiConversation } from '../../src/main/webhook/omi-conversation';
import { makeCore, must, tempDir, type TestCore } from '../support/core';
import { readFileSync } from 'node:fs';

const PASS = 'first passphrase';
const NEW_PASS = 'second passphrase';
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/conversation-created.json'), 'utf8'),
) as Record<string, unknown>;

let dir: ReturnType<typeof tempDir>;
let t: TestCore;

beforeEach(() => {
  dir = tempDir();
  t = makeCore(dir.path);
});
afterEach(async () => {
  await t.close();
  dir.remove();
});

async function createProfile(name = 'Ada') {
  return must(await t.core.invoke('profiles.create', { name, protection: { kind: 'passphrase', passphrase: PASS } }));
}
const unlockWith = (profileId: string, passphrase: string) =>
  t.core.invoke('profiles.unlock', { profileId, credential: { kind: 'passphrase', passphrase } });

function addConversation(profileId: string, patch: Record<string, unknown>) {
  const normalized = normalizeOmiConversation({ ...fixture, ...patch });
  if (!normalized.ok) throw new Error(normalized.error.message);
  upsertConversation(t.core.vault.session(profileId).db, normalized.value, 'webhook', {
    now: () => new Date(),
    actor: 'test',
  });
}

describe('passphrase', () => {
  test('changing it needs the current one; afterwards only the new one unlocks', async () => {
    const { profile } = await createProfile();
    const wrong = await t.core.invoke('profiles.setPassphrase', {
      profileId: profile.id,
      credential: { kind: 'passphrase', passphrase: 'not it at all' },
      newPassphrase: NEW_PASS,
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
    must(
      await t.core.invoke('profiles.setPassphrase', {
        profileId: profile.id,
        credential: { kind: 'passphrase', passphrase: PASS },
        newPassphrase: NEW_PASS,
      }),
    );
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
    expect(await unlockWith(profile.id, PASS)).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
    expect(must(await unlockWith(profile.id, NEW_PASS)).locked).toBe(false);
  });

  test('the recovery key sets a new passphrase on a locked profile, and the data is intact', async () => {
    const { profile, recoveryKey } = await createProfile();
    must(await t.core.invoke('memories.create', { profileId: profile.id, content: 'kept across recovery' }));
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
    const bad = await t.core.invoke('profiles.setPassphrase', {
      profileId: profile.id,
      credential: { kind: 'recovery', recoveryKey: 'AAAA-BBBB-CCCC' },
      newPassphrase: NEW_PASS,
    });
    expect(bad.ok).toBe(false);
    const summary = must(
      await t.core.invoke('profiles.setPassphrase', {
        profileId: profile.id,
        credential: { kind: 'recovery', recoveryKey },
        newPassphrase: NEW_PASS,
      }),
    );
    expect(summary.locked).toBe(true);
    expect(await unlockWith(profile.id, PASS)).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
    must(await unlockWith(profile.id, NEW_PASS));
    const list = must(await t.core.invoke('memories.list', { profileId: profile.id }));
    expect(list.items.map((m) => m.content)).toEqual(['kept across recovery']);
  });

  test('a new passphrase shorter than 8 characters is refused', async () => {
    const { profile } = await createProfile();
    const short = await t.core.invoke('profiles.setPassphrase', {
      profileId: profile.id,
      credential: { kind: 'passphrase', passphrase: PASS },
      newPassphrase: 'short',
    });
    expect(short).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });
});

describe('delete a profile', () => {
  test('needs its exact name, then removes every file, unlocked or locked; others are untouched', async () => {
    const ada = (await createProfile('Ada')).profile;
    const bob = (await createProfile('Bob')).profile;
    const cyd = (await createProfile('Cyd')).profile;
    must(await t.core.invoke('memories.create', { profileId: bob.id, content: 'Bob stays' }));
    const changes: unknown[] = [];
    t.core.on('profiles.changed', (e) => changes.push(e));

    const typo = await t.core.invoke('profiles.delete', { profileId: ada.id, confirmName: 'ada ' });
    expect(typo).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(existsSync(join(dir.path, 'profiles', ada.id, 'memory.db'))).toBe(true);

    // Unlocked: its connection is closed and the folder goes.
    expect(must(await t.core.invoke('profiles.delete', { profileId: ada.id, confirmName: 'Ada' }))).toEqual({
      deleted: ada.id,
    });
    // Locked: the same.
    must(await t.core.invoke('profiles.lock', { profileId: cyd.id }));
    must(await t.core.invoke('profiles.delete', { profileId: cyd.id, confirmName: 'Cyd' }));

    expect(readdirSync(join(dir.path, 'profiles'))).toEqual([bob.id]);
    expect(must(await t.core.invoke('profiles.list', {})).map((p) => p.name)).toEqual(['Bob']);
    expect(await t.core.invoke('memories.list', { profileId: ada.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(must(await t.core.invoke('memories.list', { profileId: bob.id })).total).toBe(1);
    // Deleting announces each profile as gone (locked); locking Cyd first announced that too.
    expect(changes).toEqual([
      { profileId: ada.id, locked: true },
      { profileId: cyd.id, locked: true },
      { profileId: cyd.id, locked: true },
    ]);
    // The name is free again.
    must(await t.core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'passphrase', passphrase: PASS } }));
  });

  test('a deleted profile stops answering its webhook route', async () => {
    const { profile } = await createProfile();
    const secret = new URL(t.core.webhookUrl(profile.id)).pathname.split('/').at(-1)!;
    expect(t.core.webhook.route(secret)).toBeDefined();
    must(await t.core.invoke('profiles.delete', { profileId: profile.id, confirmName: 'Ada' }));
    expect(t.core.webhook.route(secret)).toBeUndefined();
  });
});

describe('empty the trash', () => {
  test('purges trashed memories and conversations only, each audited, and search forgets them', async () => {
    const { profile } = await createProfile();
    const profileId = profile.id;
    const keep = must(await t.core.invoke('memories.create', { profileId, content: 'a kept zebra' }));
    const gone = must(await t.core.invoke('memories.create', { profileId, content: 'a trashed zebra', tags: ['x'] }));
    must(await t.core.invoke('memories.update', { profileId, id: gone.id, content: 'a trashed zebra, edited' }));
    must(await t.core.invoke('memories.delete', { profileId, id: gone.id }));
    addConversation(profileId, { id: 'conv-keep' });
    addConversation(profileId, { id: 'conv-gone' });
    const db = t.core.vault.session(profileId).db;
    db.prepare("UPDATE conversations SET deleted_at = ? WHERE id = 'conv-gone'").run(new Date().toISOString());

    expect(must(await t.core.invoke('trash.empty', { profileId }))).toEqual({ memories: 1, conversations: 1 });

    expect(must(await t.core.invoke('memories.list', { profileId, trash: true })).total).toBe(0);
    expect(must(await t.core.invoke('memories.list', { profileId })).items.map((m) => m.id)).toEqual([keep.id]);
    expect(must(await t.core.invoke('conversations.list', { profileId, trash: true })).total).toBe(0);
    expect(must(await t.core.invoke('conversations.list', { profileId })).items.map((c) => c.id)).toEqual([
      'conv-keep',
    ]);
    expect(await t.core.invoke('memories.get', { profileId, id: gone.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count(`SELECT count(*) AS n FROM memory_versions WHERE memory_id = '${gone.id}'`)).toBe(0);
    expect(count("SELECT count(*) AS n FROM transcript_segments WHERE conversation_id = 'conv-gone'")).toBe(0);
    expect(count("SELECT count(*) AS n FROM transcript_segments WHERE conversation_id = 'conv-keep'")).toBeGreaterThan(
      0,
    );
    const audits = db
      .prepare("SELECT action, entity, entity_id AS id FROM audit_log WHERE action IN ('purge', 'empty-trash')")
      .all();
    expect(audits).toEqual([
      { action: 'purge', entity: 'memory', id: gone.id },
      { action: 'purge', entity: 'conversation', id: 'conv-gone' },
      { action: 'empty-trash', entity: 'profile', id: null },
    ]);
    const hits = must(await t.core.invoke('search.query', { profileId, query: 'zebra' }));
    expect(hits.items.map((h) => h.id)).toEqual([keep.id]);
    // Nothing left: a second call purges nothing.
    expect(must(await t.core.invoke('trash.empty', { profileId }))).toEqual({ memories: 0, conversations: 0 });
  });

  test('a large trash is purged in several transactions, all of it', async () => {
    const { profile } = await createProfile();
    const db = t.core.vault.session(profile.id).db;
    const insert = db.prepare(
      "INSERT INTO memories (id, content, category, visibility, origin, created_at, updated_at, deleted_at) VALUES (?, ?, 'manual', 'private', 'local', ?, ?, ?)",
    );
    const now = new Date(Date.now() - 1000).toISOString();
    db.transaction(() => {
      for (let i = 0; i < 450; i++) insert.run(`m${i}`, `trashed ${i}`, now, now, now);
    })();
    expect(must(await t.core.invoke('trash.empty', { profileId: profile.id }))).toEqual({
      memories: 450,
      conversations: 0,
    });
    expect((db.prepare('SELECT count(*) AS n FROM memories').get() as { n: number }).n).toBe(0);
  });
});

describe('browse filters', () => {
  test('memories by date range, category, tags (all of them, any case) and source', async () => {
    const { profile } = await createProfile();
    const profileId = profile.id;
    const db = t.core.vault.session(profileId).db;
    const make = async (content: string, at: string, tags: string[], category: 'manual' | 'interesting' = 'manual') => {
      const m = must(await t.core.invoke('memories.create', { profileId, content, tags, category }));
      db.prepare('UPDATE memories SET created_at = ? WHERE id = ?').run(at, m.id);
      return m.id;
    };
    const a = await make('a', '2024-01-10T10:00:00.000Z', ['Work', 'urgent']);
    const b = await make('b', '2024-02-10T10:00:00.000Z', ['work'], 'interesting');
    const c = await make('c', '2024-03-10T10:00:00.000Z', ['home']);
    db.prepare("UPDATE memories SET origin = 'sync' WHERE id = ?").run(c);
    const ids = async (q: Record<string, unknown>) =>
      must(await t.core.invoke('memories.list', { profileId, ...q })).items.map((m) => m.id);

    expect(await ids({})).toEqual([c, b, a]);
    expect(await ids({ from: '2024-02-01T00:00:00.000Z' })).toEqual([c, b]);
    expect(await ids({ from: '2024-02-01T00:00:00.000Z', to: '2024-02-29T23:59:59.999Z' })).toEqual([b]);
    expect(await ids({ categories: ['interesting'] })).toEqual([b]);
    expect(await ids({ tags: ['WORK'] })).toEqual([b, a]);
    expect(await ids({ tags: ['work', 'Urgent'] })).toEqual([a]);
    expect(await ids({ tags: ['work', 'home'] })).toEqual([]);
    expect(await ids({ sources: ['sync'] })).toEqual([c]);
    expect(await ids({ sources: ['local', 'sync'], to: '2024-01-31T00:00:00.000Z' })).toEqual([a]);
    expect(must(await t.core.invoke('memories.list', { profileId, tags: ['work'] })).total).toBe(2);
    expect(await t.core.invoke('memories.list', { profileId, from: 'yesterday' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    expect(must(await t.core.invoke('browse.facets', { profileId })).tags).toEqual(['home', 'urgent', 'Work']);
  });

  test('conversations by date range, category, source and starred; facets list what is in use', async () => {
    const { profile } = await createProfile();
    const profileId = profile.id;
    addConversation(profileId, { id: 'c1', started_at: '2024-01-01T09:00:00Z', source: 'omi' });
    addConversation(profileId, { id: 'c2', started_at: '2024-05-01T09:00:00Z', source: 'phone' });
    const db = t.core.vault.session(profileId).db;
    db.prepare("UPDATE conversations SET category = 'work' WHERE id = 'c1'").run();
    db.prepare("UPDATE conversations SET category = 'personal', starred = 1 WHERE id = 'c2'").run();
    const ids = async (q: Record<string, unknown>) =>
      must(await t.core.invoke('conversations.list', { profileId, ...q })).items.map((c) => c.id);

    expect(await ids({})).toEqual(['c2', 'c1']);
    expect(await ids({ to: '2024-02-01T00:00:00.000Z' })).toEqual(['c1']);
    expect(await ids({ categories: ['personal'] })).toEqual(['c2']);
    expect(await ids({ sources: ['omi'] })).toEqual(['c1']);
    expect(await ids({ starred: true })).toEqual(['c2']);
    expect(await ids({ starred: false })).toEqual(['c1']);
    const facets = must(await t.core.invoke('browse.facets', { profileId }));
    expect(facets.categories).toEqual(['personal', 'work']);
    expect(facets.sources).toEqual(['omi', 'phone']);
  });
});

describe('settings and the webhook URL', () => {
  test('secrets are write-only; a rotated secret changes the URL', async () => {
    const { profile } = await createProfile();
    const profileId = profile.id;
    must(await t.core.invoke('settings.set', { profileId, key: 'omi.apiKey', value: 'omi_dev_secretvalue123' }));
    const tunnel = must(
      await t.core.invoke('settings.set', { profileId, key: 'webhook.tunnelHost', value: 'abc.example.com' }),
    );
    expect(tunnel).toEqual({ key: 'webhook.tunnelHost', secret: false, set: true, value: 'abc.example.com' });
    const all = must(await t.core.invoke('settings.list', { profileId }));
    expect(all.find((s) => s.key === 'omi.apiKey')).toEqual({
      key: 'omi.apiKey',
      secret: true,
      set: true,
      value: null,
    });
    expect(JSON.stringify(all)).not.toContain('secretvalue123');
    expect(await t.core.invoke('settings.set', { profileId, key: 'no.such', value: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
    const before = must(await t.core.invoke('webhook.url', { profileId })).url;
    const after = must(await t.core.invoke('webhook.rotate', { profileId })).url;
    expect(after).not.toBe(before);
    expect(must(await t.core.invoke('webhook.url', { profileId })).url).toBe(after);
    expect(must(await t.core.invoke('doctor.run', { profileId })).checks.length).toBeGreaterThan(0);
  });
});
