// Action items through OMI sync, against the fake Developer API over real HTTP with a real encrypted
// vault: the user's changes go through the outbox (a conversation's item is edited on OMI through its
// pulled twin, never created twice; items OMI does not list are created in batches of at most 50),
// a create whose answer was lost is adopted instead of sent again, and remote edits, remote deletions,
// local deletions and changes on both sides end in their documented states.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFakeOmi, FAKE_KEY, type FakeConversation, type FakeOmi, type Scope } from '../fakes/omi-server';
import { must, tempDir } from '../support/core';
import { openSyncCore, type SyncCore } from './support';

const conversationFixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/conversation-created.json'), 'utf8'),
) as FakeConversation & { structured: { action_items: { description: string; due_at: string }[] } };
const FIXTURE_ITEM = conversationFixture.structured.action_items[0]!;

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
});

const open = async (options: Parameters<typeof openSyncCore>[2] = {}) =>
  (s = await openSyncCore(dir.path, omi.url, { ports: { rateLimit: null }, ...options }));
const db = () => s.core.vault.session(s.profileId).db;
const run = async (full = true) => must(await s.core.invoke('sync.run', { profileId: s.profileId, full }));
const writes = () => omi.requests.filter((r) => r.method !== 'GET');
const itemWrites = () => writes().filter((r) => r.path.includes('/user/action-items'));
const row = (pk: number) =>
  db()
    .prepare(
      `SELECT description, completed, completed_at AS completedAt, remote_id AS remoteId, deleted_at AS deletedAt,
         remote_deleted_at AS remoteDeletedAt FROM action_items WHERE pk = ?`,
    )
    .get(pk) as {
    description: string;
    completed: number;
    completedAt: string | null;
    remoteId: string | null;
    deletedAt: string | null;
    remoteDeletedAt: string | null;
  };
const pkOfRemote = (remoteId: string) =>
  (db().prepare('SELECT pk FROM action_items WHERE remote_id = ?').get(remoteId) as { pk: number }).pk;
const update = async (id: number, patch: { completed?: boolean; description?: string }) =>
  must(await s.core.invoke('actionItems.update', { profileId: s.profileId, id, ...patch }));
const childOf = async (conversationId: string) =>
  must(await s.core.invoke('conversations.get', { profileId: s.profileId, id: conversationId })).actionItems;
const conversation = (id: string, items: { description: string }[]) => ({
  ...conversationFixture,
  id,
  structured: { ...conversationFixture.structured, title: id, action_items: items },
});

describe('push', () => {
  test('a standalone item ticked off locally is PATCHed once and takes OMI completion time', async () => {
    const remote = omi.addActionItem({ description: 'Send the invoice' });
    await open();
    await run();
    const pk = pkOfRemote(remote.id);
    const changed = await update(pk, { completed: true });
    expect(changed).toMatchObject({ id: pk, completed: true, description: 'Send the invoice' });
    const jobs = db().prepare('SELECT kind, entity, idempotency_key AS k FROM outbox').all() as {
      kind: string;
      entity: string;
      k: string;
    }[];
    expect(jobs).toMatchObject([{ kind: 'omi.action_item', entity: `action_item:${pk}` }]);
    expect(s.core.sync.status(s.profileId).backlog).toBe(1);

    omi.requests.length = 0;
    const report = await run();
    expect(report.ok).toBe(true);
    expect(report.push?.updated).toBe(1);
    expect(itemWrites().map((r) => [r.method, r.path.split('/').at(-1), r.body])).toEqual([
      ['PATCH', remote.id, { description: 'Send the invoice', completed: true, due_at: null }],
    ]);
    const onOmi = omi.state.actionItems.get(remote.id)!;
    expect(onOmi.completed).toBe(true);
    expect(row(pk)).toMatchObject({ completed: 1, completedAt: onOmi.completed_at });
    expect([...omi.state.effectiveWrites.values()]).toEqual([1]);
    // Nothing is left to push, and the next pull finds both sides agreeing.
    omi.requests.length = 0;
    const again = await run();
    expect(again.ok).toBe(true);
    expect(again.pull?.actionItems).toMatchObject({ updated: 0, conflicts: 0, unchanged: 1 });
    expect(writes()).toEqual([]);
    expect(s.core.sync.status(s.profileId).backlog).toBe(0);
  });

  test("a conversation's item is changed on OMI through its pulled twin, never created twice", async () => {
    omi.addConversation(conversation('conv-1', [FIXTURE_ITEM]));
    const twin = omi.addActionItem({
      description: FIXTURE_ITEM.description,
      conversation_id: 'conv-1',
      due_at: new Date(FIXTURE_ITEM.due_at).toISOString(),
    });
    await open();
    await run();
    // As pulled before OMI's conversation id was kept: the next full pass fills it in.
    db().prepare('UPDATE action_items SET remote_conversation_id = NULL').run();
    await run();
    const [child] = await childOf('conv-1');
    expect(child).toMatchObject({ description: FIXTURE_ITEM.description, completed: false });
    expect(row(child!.id).remoteId).toBeNull();

    await update(child!.id, { completed: true });
    omi.requests.length = 0;
    expect((await run()).ok).toBe(true);
    expect(itemWrites().map((r) => [r.method, r.path.split('/').at(-1)])).toEqual([['PATCH', twin.id]]);
    expect(omi.state.actionItems.size).toBe(1);
    expect(omi.state.actionItems.get(twin.id)?.completed).toBe(true);
    expect((await childOf('conv-1'))[0]?.completed).toBe(true);
    expect(row(pkOfRemote(twin.id)).completed).toBe(1);

    // Reworded and reopened: still the same OMI item.
    await update(child!.id, { completed: false, description: 'Send Dana the pricing sheet' });
    omi.requests.length = 0;
    expect((await run()).ok).toBe(true);
    expect(itemWrites().map((r) => r.method)).toEqual(['PATCH']);
    expect(omi.state.actionItems.get(twin.id)).toMatchObject({
      description: 'Send Dana the pricing sheet',
      completed: false,
      completed_at: null,
    });
    expect(omi.state.createdActionItems.size).toBe(0);
  });

  test('items OMI does not list are created in batches of at most 50, linked, and not pushed again', async () => {
    for (let i = 0; i < 60; i++) omi.addConversation(conversation(`conv-${i}`, [{ description: `follow up ${i}` }]));
    await open();
    await run();
    const children: number[] = [];
    for (let i = 0; i < 60; i++) {
      const [child] = await childOf(`conv-${i}`);
      children.push(child!.id);
      await update(child!.id, { completed: true });
    }
    omi.requests.length = 0;
    const report = await run();
    expect(report.ok).toBe(true);
    expect(report.push?.created).toBe(60);
    const batches = itemWrites().filter((r) => r.path.endsWith('/action-items/batch'));
    expect(batches.map((r) => (r.body as { action_items: unknown[] }).action_items.length)).toEqual([50, 10]);
    expect(itemWrites()).toHaveLength(2);
    expect(omi.state.actionItems.size).toBe(60);
    for (const [i, pk] of children.entries()) {
      const r = row(pk);
      const onOmi = omi.state.actionItems.get(r.remoteId!)!;
      expect(onOmi).toMatchObject({ description: `follow up ${i}`, completed: true, conversation_id: `conv-${i}` });
      expect(r.completedAt).toBe(onOmi.completed_at);
    }
    // The next pass lists them (newest first) and recognises every one: no copy, no write.
    omi.requests.length = 0;
    const again = await run();
    expect(again.ok).toBe(true);
    expect(again.pull?.actionItems).toMatchObject({ created: 0, updated: 0, unchanged: 60 });
    expect(writes()).toEqual([]);
    expect((db().prepare('SELECT count(*) AS n FROM action_items').get() as { n: number }).n).toBe(60);
  });

  test('a create whose answer was lost is adopted, not sent again', async () => {
    omi.addConversation(conversation('conv-lost', [{ description: 'Book the venue' }]));
    await open({ ports: { rateLimit: null, jobRetryInitialDelayMs: 3_600_000, jobRetryMaxDelayMs: 3_600_000 } });
    await run();
    const [child] = await childOf('conv-lost');
    await update(child!.id, { completed: true });
    omi.inject({ kind: 'truncate', after: true, match: (r) => r.method === 'POST' });
    const first = await run();
    expect(first.ok).toBe(false);
    expect(first.push?.retried).toBe(1);
    expect(omi.state.actionItems.size).toBe(1); // it did reach OMI
    db().prepare('UPDATE outbox SET next_attempt_at = ?').run(new Date(0).toISOString());
    const second = await run();
    expect(second.ok).toBe(true);
    expect(second.pull!.actionItems.updated + second.push!.adopted).toBe(1);
    expect(second.pull!.actionItems.created).toBe(0);
    expect(row(child!.id).remoteId).toBe([...omi.state.actionItems.keys()][0]);
    expect(omi.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect([...omi.state.createdActionItems.values()]).toEqual([1]);
    expect((db().prepare('SELECT count(*) AS n FROM action_items').get() as { n: number }).n).toBe(1);
  });

  test('the relay itself finds a lost create on OMI when no pull saw it', async () => {
    for (let i = 0; i < 5; i++) omi.addActionItem({ description: `known ${i}` });
    omi.addConversation(conversation('conv-relay', [{ description: 'Call the plumber' }]));
    await open({
      ports: { rateLimit: null, actionItemPage: 5, jobRetryInitialDelayMs: 3_600_000, jobRetryMaxDelayMs: 3_600_000 },
    });
    await run();
    const [child] = await childOf('conv-relay');
    await update(child!.id, { completed: true });
    omi.inject({ kind: 'reset', after: true, match: (r) => r.method === 'POST' });
    expect((await run(false)).push?.retried).toBe(1);
    expect(omi.state.actionItems.size).toBe(6); // it did reach OMI
    // OMI lists it behind the five items the pull already knows: an incremental pull reads one page
    // of five, finds them all known and stops, so only the relay's own lookup can find it.
    const created = [...omi.state.actionItems.values()].find((a) => a.description === 'Call the plumber')!;
    created.created_at = '2026-01-01T00:00:00.000Z';
    db().prepare("UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending'").run(new Date(0).toISOString());
    omi.requests.length = 0;
    const report = await run(false);
    expect(report.pull?.actionItems).toMatchObject({ created: 0, updated: 0, unchanged: 5 });
    expect(report.push?.adopted).toBe(1);
    expect(report.ok).toBe(true);
    expect(row(child!.id).remoteId).toBe(created.id);
    // Adopted at OMI's version (not completed): the change is then pushed as an edit, not a create.
    expect(writes().map((r) => r.method)).toEqual(['PATCH']);
    expect(omi.state.actionItems.get(created.id)?.completed).toBe(true);
    expect([...omi.state.createdActionItems.values()].every((n) => n === 1)).toBe(true);
  });

  test('a local delete removes the OMI copy; an item gone from OMI is trashed when edited', async () => {
    const a = omi.addActionItem({ description: 'Renew the passport' });
    const b = omi.addActionItem({ description: 'Water the plants' });
    await open();
    await run();
    const deleted = must(await s.core.invoke('actionItems.delete', { profileId: s.profileId, id: pkOfRemote(a.id) }));
    expect(deleted.id).toBe(pkOfRemote(a.id));
    omi.state.actionItems.delete(b.id);
    await update(pkOfRemote(b.id), { completed: true });
    omi.requests.length = 0;
    const report = await run(false); // incremental: no deletion diff, the relay meets the 404 itself
    expect(report.push).toMatchObject({ deleted: 1, dead: 0 });
    expect(
      itemWrites()
        .map((r) => r.method)
        .sort(),
    ).toEqual(['DELETE', 'PATCH']);
    expect(omi.state.actionItems.size).toBe(0);
    for (const x of [a, b]) {
      expect(row(pkOfRemote(x.id)).deletedAt, x.description).not.toBeNull();
      expect(row(pkOfRemote(x.id)).remoteDeletedAt, x.description).not.toBeNull();
    }
    // A late listing of the deleted one does not bring it back.
    omi.state.actionItems.set(a.id, a);
    await run(false);
    expect(row(pkOfRemote(a.id)).deletedAt).not.toBeNull();
  });

  test('a permanent 4xx is a dead letter; a key without the write scope pauses and drops nothing', async () => {
    omi.addConversation(conversation('conv-bad', [{ description: 'Invalid on OMI' }]));
    omi.addConversation(conversation('conv-ok', [{ description: 'Fine on OMI' }]));
    await open();
    await run();
    const [bad] = await childOf('conv-bad');
    const [ok] = await childOf('conv-ok');
    await update(bad!.id, { completed: true });
    await update(ok!.id, { completed: true });
    // OMI refuses every request that carries the bad item: the batch, then the item alone.
    omi.inject({ kind: 'status', status: 422, times: 10, match: (r) => JSON.stringify(r.body).includes('Invalid') });
    const report = await run();
    expect(report.push).toMatchObject({ dead: 1, created: 1 });
    expect(s.core.sync.status(s.profileId).deadLetters).toBe(1);

    await omi.close();
    omi = await createFakeOmi({
      rateLimit: false,
      keys: { [FAKE_KEY]: ['memories:read', 'memories:write', 'conversations:read', 'action_items:read'] as Scope[] },
      port: Number(new URL(omi.url).port),
    });
    await update(ok!.id, { description: 'Fine on OMI, reworded' });
    const refused = await run(false);
    expect(refused.ok).toBe(false);
    expect(refused.errors.map((e) => e.message).join()).toMatch(/action_items:write/);
    expect(omi.requests.filter((r) => r.status === 403)).toHaveLength(1);
    expect(s.core.sync.status(s.profileId)).toMatchObject({ backlog: 1, deadLetters: 1 });
  });
});

describe('reconcile', () => {
  test('remote edit applied; both sides changed: the later change wins and the other is audited', async () => {
    const early = omi.addActionItem({ description: 'Pay rent' });
    const late = omi.addActionItem({ description: 'Buy milk' });
    const edited = omi.addActionItem({ description: 'Call mom' });
    await open();
    await run();
    // Remote edit only.
    omi.state.actionItems.set(edited.id, {
      ...edited,
      description: 'Call mom on Sunday',
      updated_at: '2030-01-01T00:00:00.000Z',
    });
    // Both sides: OMI's edit is older than ours for one item, newer for the other.
    await update(pkOfRemote(early.id), { description: 'Pay rent today' });
    await update(pkOfRemote(late.id), { description: 'Buy oat milk' });
    omi.state.actionItems.set(early.id, {
      ...early,
      description: 'Pay rent (theirs)',
      updated_at: '2000-01-01T00:00:00.000Z',
    });
    omi.state.actionItems.set(late.id, {
      ...late,
      description: 'Buy milk (theirs)',
      updated_at: '2100-01-01T00:00:00.000Z',
    });
    omi.requests.length = 0;
    const report = await run();
    expect(report.ok).toBe(true);
    expect(report.pull?.actionItems).toMatchObject({ updated: 1, conflicts: 2 });
    expect(row(pkOfRemote(edited.id)).description).toBe('Call mom on Sunday');
    // Ours was later: pushed over OMI's.
    expect(row(pkOfRemote(early.id)).description).toBe('Pay rent today');
    expect(omi.state.actionItems.get(early.id)?.description).toBe('Pay rent today');
    // Theirs was later: applied here, and nothing of ours pushed over it.
    expect(row(pkOfRemote(late.id)).description).toBe('Buy milk (theirs)');
    expect(omi.state.actionItems.get(late.id)?.description).toBe('Buy milk (theirs)');
    expect(itemWrites().map((r) => [r.method, r.path.split('/').at(-1)])).toEqual([['PATCH', early.id]]);
    const audited = db()
      .prepare("SELECT entity_id AS id, detail FROM audit_log WHERE action = 'conflict' ORDER BY pk")
      .all() as { id: string; detail: string }[];
    expect(Object.fromEntries(audited.map((x) => [x.id, JSON.parse(x.detail) as unknown]))).toEqual({
      [pkOfRemote(early.id)]: {
        kept: 'local',
        lost: { description: 'Pay rent (theirs)', completed: false, side: 'omi' },
      },
      [pkOfRemote(late.id)]: { kept: 'omi', lost: { description: 'Buy oat milk', completed: false, side: 'local' } },
    });
  });

  test('remote deletion: trashed, marked deleted remotely, its queued job finished; never deleted back', async () => {
    const gone = omi.addActionItem({ description: 'Gone on OMI' });
    await open();
    await run();
    const pk = pkOfRemote(gone.id);
    omi.state.actionItems.delete(gone.id);
    await update(pk, { completed: true }); // a queued change for an item OMI no longer has
    const report = await run();
    expect(report.pull?.actionItems.remoteDeleted).toBe(1);
    expect(row(pk).description).toBe('Gone on OMI');
    expect(row(pk).deletedAt).not.toBeNull();
    expect(row(pk).remoteDeletedAt).not.toBeNull();
    // The deletion diff finished the queued job: the relay never tried to PATCH it.
    expect(writes()).toEqual([]);
    expect(s.core.sync.status(s.profileId).backlog).toBe(0);
    // Hidden, not deleted (OMI lists it again, as after unlocking): it comes back out of the trash.
    omi.state.actionItems.set(gone.id, gone);
    expect((await run()).pull?.actionItems.updated).toBe(1);
    expect(row(pk)).toMatchObject({ deletedAt: null, remoteDeletedAt: null, remoteId: gone.id });
  });

  test('without a key nothing is queued; the first full pass after setting one pushes the change', async () => {
    const remote = omi.addActionItem({ description: 'Offline tick' });
    await open();
    await run();
    // The key is removed (as if sync had never been set up on this device).
    db().prepare("DELETE FROM settings WHERE key = 'omi.apiKey'").run();
    await update(pkOfRemote(remote.id), { completed: true });
    expect(db().prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    s.core.settings.set(s.profileId, 'omi.apiKey', FAKE_KEY, 'test');
    expect((await run()).ok).toBe(true);
    expect(omi.state.actionItems.get(remote.id)?.completed).toBe(true);
  });

  test('a missing item is NOT_FOUND and queues nothing', async () => {
    await open();
    const res = await s.core.invoke('actionItems.update', { profileId: s.profileId, id: 9999, completed: true });
    expect(res.ok).toBe(false);
    expect(res.ok ? null : res.error.code).toBe('NOT_FOUND');
    const bad = await s.core.invoke('actionItems.update', { profileId: s.profileId, id: 1, description: '  ' });
    expect(bad.ok ? null : bad.error.code).toBe('BAD_INPUT');
    expect(db().prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 0 });
  });
});
