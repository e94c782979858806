// Automatic encrypted backups: written to the profile's backups/ folder, encrypted to the profile's
// own age recipient, pruned after keepDays, restorable into a new or an existing profile, and
// scheduled by a timer the host provides (driven here by a fake clock, never by sleeping).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startBackupScheduler } from '../../src/main/archive/backups';
import { readArchive } from '../../src/main/archive/reader';
import { readSetting } from '../../src/main/db/repos/settings';
import { SPOOL_IDENTITY_KEY } from '../../src/main/profiles/vault';
import { makeCore, must, tempDir, type TestCore } from '../support/core';
import { logicalDump } from './support';

const PASSPHRASE = 'correct horse battery staple';
let dir: ReturnType<typeof tempDir>;
let host: TestCore;
let clock: Date;
const advance = (hours: number) => (clock = new Date(clock.getTime() + hours * 3600 * 1000));

beforeEach(() => {
  dir = tempDir();
  clock = new Date('2026-01-05T12:00:00.000Z');
  host = makeCore(join(dir.path, 'data'), { clock: { now: () => clock } });
});
afterEach(async () => {
  await host.close();
  dir.remove();
});

async function profile(name: string): Promise<string> {
  return must(
    await host.core.invoke('profiles.create', { name, protection: { kind: 'passphrase', passphrase: PASSPHRASE } }),
  ).profile.id;
}

/** A fake timer: the scheduler's callbacks run only when the test fires them. */
function fakeTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    setTimer: (fn: () => void, ms: number) => {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimer: (h: unknown) => void pending.delete(h as number),
    pending,
    /** Fires every timer due (all of them: the clock is moved by the test). */
    fire() {
      const due = [...pending.values()];
      pending.clear();
      for (const t of due) t.fn();
    },
  };
}

test('backup now, list, restore into a new and an existing profile', async () => {
  const a = await profile('A');
  for (const content of ['first 🧠', 'second', 'third']) {
    must(await host.core.invoke('memories.create', { profileId: a, content, tags: ['kept'] }));
  }
  const info = must(await host.core.invoke('backups.create', { profileId: a }));
  expect(info.name).toBe('backup-2026-01-05T12-00-00-000Z.angelmem.age');
  const listed = must(await host.core.invoke('backups.list', { profileId: a }));
  expect(listed).toEqual([info]);
  const bytes = readFileSync(join(host.dataDir, 'profiles', a, 'backups', info.name));
  expect(bytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
  // Encrypted to the profile's X25519 recipient, not a passphrase; no plaintext inside.
  expect(bytes.toString('latin1')).toMatch(/\n-> X25519 /);
  expect(bytes.toString('latin1').includes('second')).toBe(false);

  // Into a new profile.
  const restored = must(
    await host.core.invoke('backups.restore', {
      profileId: a,
      name: info.name,
      into: { kind: 'new', name: 'A restored', protection: { kind: 'passphrase', passphrase: PASSPHRASE } },
    }),
  );
  expect(restored.recoveryKey).toEqual(expect.any(String));
  expect(restored.report.counts.memories).toMatchObject({ inserted: 3 });
  const db = (id: string) => host.core.vault.session(id).db;
  const { memories, memoryTags, memoryVersions } = logicalDump(db(a));
  expect(logicalDump(db(restored.profileId))).toMatchObject({ memories, memoryTags, memoryVersions });

  // Into the existing profile after a change: skip keeps, overwrite brings the backup's state back.
  const first = must(await host.core.invoke('memories.list', { profileId: a })).items.find(
    (m) => m.content === 'second',
  )!;
  advance(1);
  must(await host.core.invoke('memories.update', { profileId: a, id: first.id, content: 'changed' }));
  const into = (strategy: 'skip' | 'overwrite') =>
    host.core.invoke('backups.restore', {
      profileId: a,
      name: info.name,
      into: { kind: 'existing', profileId: a, strategy },
    });
  expect(must(await into('skip')).report.skipped).toHaveLength(1);
  expect(must(await into('overwrite')).report.counts.memories).toMatchObject({ replaced: 1, unchanged: 2 });
  expect(must(await host.core.invoke('memories.get', { profileId: a, id: first.id })).content).toBe('second');

  // Another profile's identity cannot open it; restore only looks in the named profile's folder.
  const b = await profile('B');
  const identityOfB = readSetting(db(b), SPOOL_IDENTITY_KEY) as string;
  await expect(
    readArchive({ path: join(host.dataDir, 'profiles', a, 'backups', info.name) }, { identity: identityOfB }),
  ).rejects.toMatchObject({ code: 'WRONG_KEY', kind: 'WRONG_PASSPHRASE' });
  const stranger = await host.core.invoke('backups.restore', {
    profileId: b,
    name: info.name,
    into: { kind: 'existing', profileId: b, strategy: 'skip' },
  });
  expect(stranger.ok || stranger.error.code).toBe('NOT_FOUND');
  const traversal = await host.core.invoke('backups.restore', {
    profileId: a,
    name: '../../profile.json',
    into: { kind: 'existing', profileId: a, strategy: 'skip' },
  });
  expect(traversal.ok || traversal.error.code).toBe('BAD_INPUT');
});

test('the scheduler backs up daily by default and prunes after keepDays', async () => {
  const a = await profile('A');
  must(await host.core.invoke('memories.create', { profileId: a, content: 'x' }));
  const timers = fakeTimers();
  const scheduler = host.core.archive.startScheduler({ ...timers, profiles: () => [a], checkEveryMs: 60_000 });
  await scheduler.tick();
  const names = async () => must(await host.core.invoke('backups.list', { profileId: a })).map((b) => b.createdAt);
  expect(await names()).toEqual(['2026-01-05T12:00:00.000Z']);
  expect(timers.pending.size).toBe(1);
  expect([...timers.pending.values()][0]!.ms).toBe(60_000);

  // An hour later nothing is due; a day later one is.
  advance(1);
  timers.fire();
  await scheduler.tick();
  expect(await names()).toHaveLength(1);
  advance(23);
  timers.fire();
  await scheduler.tick();
  expect(await names()).toEqual(['2026-01-06T12:00:00.000Z', '2026-01-05T12:00:00.000Z']);

  // Ten days on, with the default keepDays of 7, only backups from the last week remain.
  for (let day = 0; day < 10; day++) {
    advance(24);
    await scheduler.tick();
  }
  const kept = await names();
  expect(kept[0]).toBe('2026-01-16T12:00:00.000Z');
  expect(kept.at(-1)).toBe('2026-01-09T12:00:00.000Z');
  expect(kept).toHaveLength(8);

  // Settings change the cadence: every 6 hours, keep 1 day; 0 turns it off.
  host.core.settings.set(a, 'backup.intervalHours', '6', 'test');
  host.core.settings.set(a, 'backup.keepDays', '1', 'test');
  advance(6);
  await scheduler.tick();
  expect((await names())[0]).toBe('2026-01-16T18:00:00.000Z');
  host.core.settings.set(a, 'backup.intervalHours', '0', 'test');
  advance(48);
  await scheduler.tick();
  expect((await names())[0]).toBe('2026-01-16T18:00:00.000Z');
  await scheduler.stop();
  expect(timers.pending.size).toBe(0);
  expect(readdirSync(join(host.dataDir, 'profiles', a, 'backups')).filter((n) => n.includes('.tmp'))).toEqual([]);
});

test('a failing backup is reported and the schedule goes on', async () => {
  const errors: string[] = [];
  const timers = fakeTimers();
  let attempts = 0;
  const scheduler = startBackupScheduler({
    ...timers,
    now: () => clock,
    profiles: () => ['p1'],
    intervalHours: () => 24,
    latest: () => null,
    backup: () => {
      attempts += 1;
      return Promise.reject(new Error('disk full'));
    },
    onError: (id, err) => errors.push(`${id}: ${(err as Error).message}`),
  });
  await scheduler.tick();
  timers.fire();
  await scheduler.tick();
  expect(attempts).toBe(2);
  expect(errors).toEqual(['p1: disk full', 'p1: disk full']);
  await scheduler.stop();
});

test('stopping waits for a backup in progress and schedules nothing after it', async () => {
  const timers = fakeTimers();
  let finish: () => void = () => undefined;
  let finished = false;
  const scheduler = startBackupScheduler({
    ...timers,
    now: () => clock,
    profiles: () => ['p1'],
    intervalHours: () => 24,
    latest: () => null,
    backup: () =>
      new Promise<void>((resolve) => {
        finish = () => {
          finished = true;
          resolve();
        };
      }),
    onError: () => undefined,
  });
  let stopped = false;
  const stopping = scheduler.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(stopped).toBe(false);
  finish();
  await stopping;
  expect(finished).toBe(true);
  expect(timers.pending.size).toBe(0);
});
