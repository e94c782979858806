// The checkpoint worker (checkpointer.ts): while it runs the main connection never checkpoints, yet
// committed pages still reach the database file; when the worker stops, commits checkpoint again.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { afterEach, expect, it, vi } from 'vitest';
import { makeCore, must, tempDir } from '../../../test/support/core';
import { openTestDb, type TestDb } from '../../../test/support/db';
import { AUTOCHECKPOINT_FRAMES, startCheckpointer, type Checkpointer } from './checkpointer';

const PASS = 'checkpoint test passphrase';
let t: TestDb | undefined;
let checkpointer: Checkpointer | undefined;
afterEach(async () => {
  await checkpointer?.close();
  t?.close();
});

const autocheckpoint = (db: TestDb['db']) => db.pragma('wal_autocheckpoint', { simple: true }) as number;
/** Writes about `kb` KB in one commit: a WAL frame per 4 KB page. */
const write = (db: TestDb['db'], kb: number) =>
  db
    .prepare("INSERT INTO settings (key, value, secret, updated_at) VALUES (?, ?, 0, '2026-01-01')")
    .run(`bulk-${randomBytes(6).toString('hex')}`, JSON.stringify(randomBytes(kb * 512).toString('hex')));

async function running(worker?: URL): Promise<Checkpointer> {
  const c = startCheckpointer(t!.db, t!.path, t!.key, { worker, everyMs: 20 });
  await vi.waitFor(() => expect(c.state).toBe('running'), { timeout: 20_000, interval: 20 });
  return c;
}

for (const [label, worker] of [
  ['from source', undefined],
  [
    'from the build (out/main/checkpoint-worker.js)',
    new URL('../../../out/main/checkpoint-worker.js', import.meta.url),
  ],
] as const) {
  it(`copies committed pages into the database file while the main connection does not (${label})`, async () => {
    t = openTestDb('angel-memory-checkpoint-');
    expect(autocheckpoint(t.db)).toBe(AUTOCHECKPOINT_FRAMES);
    checkpointer = await running(worker);
    expect(autocheckpoint(t.db)).toBe(0);
    const before = statSync(t.path).size;
    // ~2 MB in 40 commits: more than enough to have reached the file if anything checkpoints.
    for (let i = 0; i < 40; i++) write(t.db, 50);
    await vi.waitFor(() => expect(statSync(t!.path).size).toBeGreaterThan(before + 1_500_000), {
      timeout: 10_000,
      interval: 20,
    });
    // What the worker copied is what was committed.
    expect((t.db.prepare("SELECT count(*) AS n FROM settings WHERE key LIKE 'bulk-%'").get() as { n: number }).n).toBe(
      40,
    );
    expect(t.db.pragma('integrity_check', { simple: true })).toBe('ok');

    await checkpointer.close();
    expect(checkpointer.state).toBe('stopped');
    expect(autocheckpoint(t.db)).toBe(AUTOCHECKPOINT_FRAMES);
  });
}

it('hands checkpointing back to the main connection when the worker dies', async () => {
  t = openTestDb('angel-memory-checkpoint-');
  // A worker that says it is ready, then exits.
  const dying = new URL(
    `data:text/javascript,${encodeURIComponent(
      "import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ type: 'ready' }); setTimeout(() => process.exit(4), 200);",
    )}`,
  );
  const stopped = vi.fn();
  checkpointer = startCheckpointer(t.db, t.path, t.key, { worker: dying, onStopped: stopped });
  await vi.waitFor(() => expect(autocheckpoint(t!.db)).toBe(0), { timeout: 20_000, interval: 10 });
  await vi.waitFor(() => expect(checkpointer!.state).toBe('stopped'), { timeout: 20_000, interval: 20 });
  expect(stopped).toHaveBeenCalledWith('exited (code 4)');
  expect(autocheckpoint(t.db)).toBe(AUTOCHECKPOINT_FRAMES);
  // Commits checkpoint by themselves again, at 1,000 frames: ~6 MB of commits pass that once.
  const before = statSync(t.path).size;
  for (let i = 0; i < 40; i++) write(t.db, 150);
  expect(statSync(t.path).size).toBeGreaterThan(before + 3_000_000);
});

it('stops without touching a connection that is already closed', async () => {
  t = openTestDb('angel-memory-checkpoint-');
  checkpointer = await running();
  t.db.close();
  await checkpointer.close();
  expect(checkpointer.state).toBe('stopped');
});

it('runs for each unlocked profile of a host that turns it on, and stops when the profile locks', async () => {
  const dir = tempDir('angel-memory-checkpoint-core-');
  const host = makeCore(dir.path);
  const core = host.core;
  try {
    const { profile } = must(
      await core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'passphrase', passphrase: PASS } }),
    );
    expect(core.checkpointState(profile.id)).toBe('none');
    core.checkpointInBackground(true);
    await vi.waitFor(() => expect(core.checkpointState(profile.id)).toBe('running'), { timeout: 20_000, interval: 20 });
    const db = core.vault.session(profile.id).db;
    expect(autocheckpoint(db)).toBe(0);

    must(await core.invoke('profiles.lock', { profileId: profile.id }));
    expect(core.checkpointState(profile.id)).toBe('none');
    must(
      await core.invoke('profiles.unlock', {
        profileId: profile.id,
        credential: { kind: 'passphrase', passphrase: PASS },
      }),
    );
    await vi.waitFor(() => expect(core.checkpointState(profile.id)).toBe('running'), { timeout: 20_000, interval: 20 });

    core.checkpointInBackground(false);
    expect(core.checkpointState(profile.id)).toBe('none');
    expect(autocheckpoint(core.vault.session(profile.id).db)).toBe(AUTOCHECKPOINT_FRAMES);

    // A profile created while it is on gets one at once.
    core.checkpointInBackground(true);
    const second = must(
      await core.invoke('profiles.create', { name: 'Bo', protection: { kind: 'passphrase', passphrase: PASS } }),
    );
    await vi.waitFor(() => expect(core.checkpointState(second.profile.id)).toBe('running'), {
      timeout: 20_000,
      interval: 20,
    });
  } finally {
    await host.close();
    dir.remove();
  }
});
