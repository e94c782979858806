import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { makeCore, must, tempDir, type TestCore } from '../../../../test/support/core';
import { auditFor } from './audit';
import { normalizeTags, purgeMemory } from './memories';

let dir: ReturnType<typeof tempDir>;
let t: TestCore;
let profileId: string;

beforeEach(async () => {
  dir = tempDir();
  t = makeCore(dir.path);
  const created = must(
    await t.core.invoke('profiles.create', {
      name: 'Ada',
      protection: { kind: 'passphrase', passphrase: 'passphrase-1' },
    }),
  );
  profileId = created.profile.id;
});
afterEach(async () => {
  await t.close();
  dir.remove();
});

const db = () => t.core.vault.session(profileId).db;

describe('memories', () => {
  test('three edits leave three versions holding each earlier state, in order', async () => {
    const m = must(await t.core.invoke('memories.create', { profileId, content: 'v0', tags: ['a'] }));
    must(await t.core.invoke('memories.update', { profileId, id: m.id, content: 'v1' }));
    must(await t.core.invoke('memories.update', { profileId, id: m.id, tags: ['a', 'b'] }));
    must(await t.core.invoke('memories.update', { profileId, id: m.id, content: 'v3', category: 'interesting' }));
    // A no-op edit is not a change and leaves no version.
    must(await t.core.invoke('memories.update', { profileId, id: m.id, content: 'v3', tags: ['B', 'a'] }));

    const got = must(await t.core.invoke('memories.get', { profileId, id: m.id }));
    expect(got).toMatchObject({ content: 'v3', category: 'interesting', tags: ['a', 'b'], edited: true });
    expect(got.versions.map((v) => [v.version, v.content, v.tags])).toEqual([
      [1, 'v0', ['a']],
      [2, 'v1', ['a']],
      [3, 'v1', ['a', 'b']],
    ]);
    expect(got.versions.every((v) => v.changedBy === 'user' && v.reason === 'edit')).toBe(true);
    expect(auditFor(db(), 'memory', m.id).map((a) => a.action)).toEqual(['create', 'update', 'update', 'update']);
  });

  test('delete moves to the trash, restore brings back, purge removes for good; all audited', async () => {
    const m = must(await t.core.invoke('memories.create', { profileId, content: 'to be purged', tags: ['t'] }));
    must(await t.core.invoke('memories.update', { profileId, id: m.id, content: 'edited once' }));

    const deleted = must(await t.core.invoke('memories.delete', { profileId, id: m.id }, 'cli'));
    expect(deleted.deletedAt).not.toBeNull();
    expect(must(await t.core.invoke('memories.list', { profileId })).total).toBe(0);
    expect(must(await t.core.invoke('memories.list', { profileId, trash: true })).items.map((x) => x.id)).toEqual([
      m.id,
    ]);
    expect(must(await t.core.invoke('stats.get', { profileId }))).toMatchObject({ memories: 0, trashed: 1 });
    // Editing a trashed memory is refused.
    expect(await t.core.invoke('memories.update', { profileId, id: m.id, content: 'no' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' },
    });

    const restored = must(await t.core.invoke('memories.restore', { profileId, id: m.id }));
    expect(restored.deletedAt).toBeNull();
    expect(must(await t.core.invoke('memories.list', { profileId })).total).toBe(1);

    // Purge needs the memory to be in the trash first.
    expect(() => purgeMemory(db(), m.id, { now: () => new Date(), actor: 'user' })).toThrowError(
      expect.objectContaining({ code: 'CONFLICT' }) as Error,
    );
    must(await t.core.invoke('memories.delete', { profileId, id: m.id }));
    purgeMemory(db(), m.id, { now: () => new Date(), actor: 'user' });
    expect(await t.core.invoke('memories.get', { profileId, id: m.id })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    const leftovers = db()
      .prepare(
        `SELECT (SELECT count(*) FROM memory_versions WHERE memory_id = ?) + (SELECT count(*) FROM memory_tags WHERE memory_id = ?)
           + (SELECT count(*) FROM fts_memories WHERE fts_memories MATCH 'purged OR edited') AS n`,
      )
      .get(m.id, m.id);
    expect(leftovers).toEqual({ n: 0 });
    expect(auditFor(db(), 'memory', m.id).map((a) => [a.action, a.actor])).toEqual([
      ['create', 'user'],
      ['update', 'user'],
      ['delete', 'cli'],
      ['restore', 'user'],
      ['delete', 'user'],
      ['purge', 'user'],
    ]);
  });

  test('list filters by tag and pages newest first', async () => {
    for (let i = 0; i < 5; i++) {
      must(await t.core.invoke('memories.create', { profileId, content: `m${i}`, tags: i % 2 ? ['odd'] : [] }));
    }
    const odd = must(await t.core.invoke('memories.list', { profileId, tag: 'odd' }));
    expect(odd.items.map((m) => m.content).sort()).toEqual(['m1', 'm3']);
    const page = must(await t.core.invoke('memories.list', { profileId, limit: 2, offset: 1 }));
    expect(page.total).toBe(5);
    expect(page.items.map((m) => m.content)).toEqual(['m3', 'm2']);
  });

  test('bad input never throws across the boundary', async () => {
    for (const input of [
      undefined,
      null,
      42,
      'x',
      {},
      { profileId },
      { profileId, content: '' },
      { profileId, content: 'x', tags: 'a' },
    ]) {
      const res = await t.core.invoke('memories.create', input);
      expect(res).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    }
    expect(await t.core.invoke('memories.get', { profileId, id: 'nope' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await t.core.invoke('no.such.channel' as 'stats.get', {})).toMatchObject({
      ok: false,
      error: { code: 'BAD_INPUT' },
    });
  });

  test('tags compare as sets: trimmed, case-insensitive, sorted', () => {
    expect(normalizeTags([' b', 'A', 'a', '', 'B '])).toEqual(['A', 'b']);
  });
});
