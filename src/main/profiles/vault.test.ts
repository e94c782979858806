import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { makeCore, must, tempDir, type TestCore } from '../../../test/support/core';
import { CIPHER, openDatabase } from '../db/open';
import { AppError } from '../errors';
import { unwrapWithRecoveryKey } from './keys';
import { readProfiles } from './registry';

const PASS = 'correct horse battery staple';
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

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

async function createProfile(name = 'Ada', passphrase = PASS) {
  return must(await t.core.invoke('profiles.create', { name, protection: { kind: 'passphrase', passphrase } }));
}
const dbFile = (id: string) => join(dir.path, 'profiles', id, 'memory.db');
const masterKeyOf = (id: string, recoveryKey: string) => {
  const profile = readProfiles(dir.path).find((p) => p.id === id)!;
  return unwrapWithRecoveryKey(profile.keys.recovery, recoveryKey, id);
};

describe('encryption at rest', () => {
  test('neither memory.db nor its WAL holds the SQLite header or any stored text', async () => {
    const { profile } = await createProfile();
    const sentinel = 'SENTINEL-7f3a9c-zebra-quartz';
    must(
      await t.core.invoke('memories.create', {
        profileId: profile.id,
        content: `remember ${sentinel}`,
        tags: [sentinel],
      }),
    );
    const wal = `${dbFile(profile.id)}-wal`;
    // While the profile is open the new pages sit in the WAL: it must be encrypted too.
    expect(existsSync(wal)).toBe(true);
    for (const path of [dbFile(profile.id), wal]) {
      const bytes = readFileSync(path);
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.includes('SQLite format 3')).toBe(false);
      expect(bytes.includes(sentinel)).toBe(false);
      expect(bytes.includes(Buffer.from(sentinel, 'utf16le'))).toBe(false);
    }
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
    const afterCheckpoint = readFileSync(dbFile(profile.id));
    expect(afterCheckpoint.includes('SQLite format 3')).toBe(false);
    expect(afterCheckpoint.includes(sentinel)).toBe(false);
    // And the text really is in there, under the key.
    must(
      await t.core.invoke('profiles.unlock', {
        profileId: profile.id,
        credential: { kind: 'passphrase', passphrase: PASS },
      }),
    );
    const list = must(await t.core.invoke('memories.list', { profileId: profile.id }));
    expect(list.items[0]?.content).toContain(sentinel);
  });

  test('profile.json records the cipher and holds no key material in the clear', async () => {
    const { profile, recoveryKey } = await createProfile();
    const text = readFileSync(join(dir.path, 'profiles', profile.id, 'profile.json'), 'utf8');
    const json = JSON.parse(text) as { cipher: unknown };
    expect(json.cipher).toEqual(CIPHER);
    expect(text).not.toContain(PASS);
    expect(text).not.toContain(masterKeyOf(profile.id, recoveryKey).toString('hex'));
    expect(text.toLowerCase()).not.toContain(recoveryKey.replace(/-/g, '').toLowerCase());
  });
});

describe('wrong keys', () => {
  test('a wrong passphrase is WRONG_KEY and leaves the database byte-identical', async () => {
    const { profile } = await createProfile();
    must(await t.core.invoke('memories.create', { profileId: profile.id, content: 'x' }));
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
    const before = sha256(dbFile(profile.id));
    const res = await t.core.invoke('profiles.unlock', {
      profileId: profile.id,
      credential: { kind: 'passphrase', passphrase: 'not the passphrase' },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
    expect(sha256(dbFile(profile.id))).toBe(before);
    expect(must(await t.core.invoke('profiles.list', {}))[0]?.locked).toBe(true);
  });

  test('a wrong raw key fails at open with WRONG_KEY and writes nothing', async () => {
    const { profile } = await createProfile();
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
    const before = sha256(dbFile(profile.id));
    expect(() =>
      openDatabase(dbFile(profile.id), Buffer.alloc(32, 7), { snapshotDir: join(dir.path, 'snap') }),
    ).toThrowError(expect.objectContaining({ code: 'WRONG_KEY' }) as Error);
    expect(sha256(dbFile(profile.id))).toBe(before);
    expect(existsSync(join(dir.path, 'snap'))).toBe(false);
  });

  test('a malformed recovery key is BAD_INPUT, a wrong one WRONG_KEY', async () => {
    const { profile } = await createProfile();
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
    const bad = await t.core.invoke('profiles.unlock', {
      profileId: profile.id,
      credential: { kind: 'recovery', recoveryKey: 'hello' },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    const wrong = await t.core.invoke('profiles.unlock', {
      profileId: profile.id,
      credential: { kind: 'recovery', recoveryKey: 'ab'.repeat(32) },
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
  });
});

describe('recovery', () => {
  test('the recovery key opens a vault whose passphrase is lost and sets a new passphrase', async () => {
    const { profile, recoveryKey } = await createProfile();
    const memory = must(await t.core.invoke('memories.create', { profileId: profile.id, content: 'keep me' }));
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));

    // Forgiving input: lower case, spaces instead of dashes.
    const typed = recoveryKey.toLowerCase().replace(/-/g, ' ');
    must(
      await t.core.invoke('profiles.unlock', {
        profileId: profile.id,
        credential: { kind: 'recovery', recoveryKey: typed },
      }),
    );
    expect(must(await t.core.invoke('memories.get', { profileId: profile.id, id: memory.id })).content).toBe('keep me');
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));

    await t.core.vault.setPassphrase(profile.id, { kind: 'recovery', recoveryKey }, 'a brand new passphrase');
    const old = await t.core.invoke('profiles.unlock', {
      profileId: profile.id,
      credential: { kind: 'passphrase', passphrase: PASS },
    });
    expect(old).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
    must(
      await t.core.invoke('profiles.unlock', {
        profileId: profile.id,
        credential: { kind: 'passphrase', passphrase: 'a brand new passphrase' },
      }),
    );
    expect(must(await t.core.invoke('memories.get', { profileId: profile.id, id: memory.id })).content).toBe('keep me');
  });
});

describe('schema versions', () => {
  test('a database from a newer version is refused with DB_FROM_FUTURE and not modified', async () => {
    const { profile, recoveryKey } = await createProfile();
    must(await t.core.invoke('profiles.lock', { profileId: profile.id }));
    const key = masterKeyOf(profile.id, recoveryKey);
    const raw = new Database(dbFile(profile.id));
    raw.pragma(`cipher = '${CIPHER.name}'`);
    raw.pragma(`key = 'raw:${key.toString('hex')}'`);
    raw.pragma('user_version = 9990');
    raw.close();
    const before = sha256(dbFile(profile.id));

    const res = await t.core.invoke('profiles.unlock', {
      profileId: profile.id,
      credential: { kind: 'passphrase', passphrase: PASS },
    });
    expect(res).toMatchObject({ ok: false, error: { code: 'DB_FROM_FUTURE' } });
    expect(!res.ok && res.error.message).toMatch(/newer version/);
    expect(sha256(dbFile(profile.id))).toBe(before);
    expect(existsSync(join(dir.path, 'profiles', profile.id, 'backups'))).toBe(false);
  });
});

describe('isolation', () => {
  test('two profiles written in interleaved order each see only their own rows and key', async () => {
    const a = await createProfile('Ada', 'passphrase-of-ada');
    const b = await createProfile('Bob', 'passphrase-of-bob');
    for (let i = 0; i < 10; i++) {
      must(
        await t.core.invoke('memories.create', { profileId: a.profile.id, content: `ada ${i}`, tags: ['shared-tag'] }),
      );
      must(
        await t.core.invoke('memories.create', { profileId: b.profile.id, content: `bob ${i}`, tags: ['shared-tag'] }),
      );
    }
    const listA = must(await t.core.invoke('memories.list', { profileId: a.profile.id, limit: 100 }));
    const listB = must(await t.core.invoke('memories.list', { profileId: b.profile.id, limit: 100 }));
    expect(listA.total).toBe(10);
    expect(listB.total).toBe(10);
    expect(listA.items.every((m) => m.content.startsWith('ada'))).toBe(true);
    expect(listB.items.every((m) => m.content.startsWith('bob'))).toBe(true);
    expect(must(await t.core.invoke('stats.get', { profileId: a.profile.id })).tags).toBe(1);

    // Each file opens only with its own key; each passphrase only opens its own profile.
    must(await t.core.invoke('profiles.lock', { profileId: a.profile.id }));
    must(await t.core.invoke('profiles.lock', { profileId: b.profile.id }));
    const keyA = masterKeyOf(a.profile.id, a.recoveryKey);
    const keyB = masterKeyOf(b.profile.id, b.recoveryKey);
    expect(keyA.equals(keyB)).toBe(false);
    const snapshotDir = join(dir.path, 'snap');
    expect(() => openDatabase(dbFile(a.profile.id), keyB, { snapshotDir })).toThrowError(AppError);
    expect(() => openDatabase(dbFile(b.profile.id), keyA, { snapshotDir })).toThrowError(AppError);
    openDatabase(dbFile(a.profile.id), keyA, { snapshotDir }).close();
    const cross = await t.core.invoke('profiles.unlock', {
      profileId: b.profile.id,
      credential: { kind: 'passphrase', passphrase: 'passphrase-of-ada' },
    });
    expect(cross).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
    // The webhook secrets differ too.
    must(
      await t.core.invoke('profiles.unlock', {
        profileId: a.profile.id,
        credential: { kind: 'passphrase', passphrase: 'passphrase-of-ada' },
      }),
    );
    must(
      await t.core.invoke('profiles.unlock', {
        profileId: b.profile.id,
        credential: { kind: 'passphrase', passphrase: 'passphrase-of-bob' },
      }),
    );
    expect(t.core.webhookUrl(a.profile.id)).not.toBe(t.core.webhookUrl(b.profile.id));
  });

  test('profile names are unique regardless of case, and locked profiles refuse data calls', async () => {
    await createProfile('Ada');
    const dup = await t.core.invoke('profiles.create', {
      name: 'ada',
      protection: { kind: 'passphrase', passphrase: 'another passphrase' },
    });
    expect(dup).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const [profile] = must(await t.core.invoke('profiles.list', {}));
    must(await t.core.invoke('profiles.lock', { profileId: profile!.id }));
    const res = await t.core.invoke('memories.list', { profileId: profile!.id });
    expect(res).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
  });
});
