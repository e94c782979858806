// Crash test for the outbox relay: 1,000 local memory changes (creates, edits, deletes; about 2% too
// long for OMI, a permanent 422), a fake OMI that fails 30% of requests (5xx, 429, resets and cut-off
// bodies before or after applying them, timeouts), and a real `sync` child process SIGKILLed 10 times
// and restarted. Afterwards every change is on the server exactly once (no create repeated, no
// idempotency key changed the server twice), no job is left leased, and the only dead letters are
// the too-long memories.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createFakeOmi, type FakeOmi } from '../fakes/omi-server';
import { BIN, runBin } from '../support/cli';
import { must, tempDir } from '../support/core';
import { openSyncCore, PASS } from './support';

const CHANGES = 1000;
const ROUNDS = 11; // 10 kills, then a last run that is stopped cleanly
const dir = tempDir();
let omi: FakeOmi;
let child: ChildProcess | undefined;

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const env = () => ({
  ANGEL_MEMORY_HOME: dir.path,
  ANGEL_MEMORY_PASSPHRASE: PASS,
  ANGEL_MEMORY_OMI_API_URL: omi.url,
  // Loopback fake: short timeouts and delays so faults cost milliseconds, not minutes.
  ANGEL_MEMORY_OMI_TIMEOUT_MS: '400',
  ANGEL_MEMORY_OMI_RATE_LIMIT: '100000',
  ANGEL_MEMORY_OMI_BREAKER_HALF_OPEN_MS: '200',
  ANGEL_MEMORY_OMI_RETRY_DELAY_MS: '5',
  // With millisecond backoff, 10 tries span milliseconds: 30% faults would then dead-letter about one
  // job in a hundred runs by bad luck alone. Production's 10 tries span hours.
  ANGEL_MEMORY_OMI_MAX_TRIES: '40',
});

beforeAll(async () => {
  omi = await createFakeOmi({
    rateLimit: false,
    randomFaults: {
      rate: 0.3,
      seed: 4242,
      faults: [
        { kind: 'status', status: 500 },
        { kind: 'status', status: 503 },
        { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
        { kind: 'reset' },
        { kind: 'reset', after: true },
        { kind: 'truncate', after: true },
        { kind: 'timeout' },
      ],
    },
  });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await omi.close();
  dir.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('1,000 changes under 30% faults and 10 SIGKILLs reach OMI exactly once', { timeout: 150_000 }, async () => {
  const random = rng(99);
  // The plan is made against the live set as it evolves, so edits and deletes hit real memories.
  let s = await openSyncCore(dir.path, omi.url);
  const profileId = s.profileId;
  await s.close();

  const live: string[] = [];
  /** Memories whose content was too long for OMI at some point (a 422 for each job that saw it). */
  const everTooLong = new Set<string>();
  const tooLong = new Set<string>();
  let made = 0;
  let serial = 0;
  let kills = 0;
  /** Jobs found still leased by a killed process: the leases a restart must take back. */
  let orphanedLeases = 0;

  async function applyChanges(n: number): Promise<void> {
    s = await openSyncCore(dir.path, omi.url, { create: false });
    orphanedLeases += (
      s.core.vault.session(profileId).db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'leased'").get() as {
        n: number;
      }
    ).n;
    for (let i = 0; i < n && made < CHANGES; i++, made++) {
      const r = random();
      const text = `change ${serial++}: ${random().toString(36).slice(2, 10)}`;
      if (r < 0.55 || live.length < 10) {
        const long = random() < 0.02;
        const m = must(
          await s.core.invoke('memories.create', {
            profileId,
            content: long ? `${text} ${'x'.repeat(520)}` : text,
            tags: random() < 0.3 ? ['crash'] : [],
          }),
        );
        if (long) {
          tooLong.add(m.id);
          everTooLong.add(m.id);
        }
        live.push(m.id);
      } else if (r < 0.85) {
        const id = live[Math.floor(random() * live.length)]!;
        must(await s.core.invoke('memories.update', { profileId, id, content: `edited ${text}` }));
        tooLong.delete(id);
      } else {
        const id = live.splice(Math.floor(random() * live.length), 1)[0]!;
        must(await s.core.invoke('memories.delete', { profileId, id }));
      }
    }
    await s.close();
  }

  for (let round = 0; round < ROUNDS; round++) {
    await applyChanges(Math.ceil(CHANGES / ROUNDS));
    child = spawn(process.execPath, [BIN, 'sync', '--profile', 'Sync'], {
      env: { PATH: process.env.PATH, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const seen = omi.requests.length;
    const target = 5 + Math.floor(random() * 60);
    if (round < ROUNDS - 1) {
      // Kill after a random number of requests (mid-batch, mid-commit or idle), or after 4 s.
      for (let waited = 0; omi.requests.length - seen < target && waited < 4000; waited += 5) await sleep(5);
      child.kill('SIGKILL');
      expect(await exited, output).toBe(null);
      kills++;
    } else {
      // Stopped cleanly once it is syncing (on a busy machine unlocking the vault can take a while).
      for (let waited = 0; !output.includes('syncing') && waited < 30_000; waited += 20) await sleep(20);
      await sleep(1500);
      child.kill('SIGTERM');
      expect(await exited, output).toBe(0);
    }
    child = undefined;
  }
  expect(kills).toBe(10);
  expect(made).toBe(CHANGES);

  // Finish what is left with one-shot passes (faults still on); each exits 1 while work remains.
  let code: number | null = 1;
  for (let i = 0; i < 40 && code !== 0; i++) {
    const pass = await runBin(['sync', '--profile', 'Sync', '--once'], env());
    code = pass.code;
  }
  expect(code).toBe(0);

  s = await openSyncCore(dir.path, omi.url, { create: false });
  try {
    const db = s.core.vault.session(profileId).db;
    // No lease survives: every job is done or dead. Leases last 5 minutes, far longer than this test,
    // so the killed processes' leases were taken back at restart, not left to expire.
    expect(orphanedLeases).toBeGreaterThan(0);
    expect(
      db.prepare("SELECT state, count(*) AS n FROM outbox WHERE state IN ('leased', 'pending') GROUP BY 1").all(),
    ).toEqual([]);
    // Only the permanent 422s are dead letters: every one is a memory that was too long when its job
    // ran, and every memory still too long has one.
    const dead = db.prepare("SELECT entity, last_error AS error FROM outbox WHERE state = 'dead'").all() as {
      entity: string;
      error: string;
    }[];
    const deadIds = new Set(dead.map((d) => d.entity.replace('memory:', '')));
    for (const d of dead) expect(d.error).toMatch(/422/);
    for (const id of deadIds) expect(everTooLong.has(id)).toBe(true);
    const liveTooLong = [...tooLong].filter((id) => live.includes(id));
    for (const id of liveTooLong) expect(deadIds.has(id)).toBe(true);
    expect(liveTooLong.length).toBeGreaterThan(0);

    // The server holds exactly the live memories OMI accepts, with their latest content.
    const rows = db
      .prepare('SELECT id, content, remote_id AS remoteId, deleted_at AS deletedAt FROM memories')
      .all() as { id: string; content: string; remoteId: string | null; deletedAt: string | null }[];
    const expected = rows.filter((r) => !r.deletedAt && !tooLong.has(r.id));
    expect(expected.length).toBe(live.length - liveTooLong.length);
    expect(omi.state.memories.size).toBe(expected.length);
    for (const r of expected) expect(omi.state.memories.get(r.remoteId!)?.content).toBe(r.content);

    // Exactly once: no create was sent again for something OMI already had, every create added its
    // memory once, and no edit or delete took effect twice. (A job pushes the memory's current state,
    // so one job may carry several queued edits; what must never happen is an older state written
    // again.)
    expect(omi.state.dedupedCreates).toBe(0);
    expect([...omi.state.createdContents.values()].every((n) => n === 1)).toBe(true);
    expect([...omi.state.appliedChanges.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(omi.state.appliedChanges.size).toBeGreaterThan(100);
    // The faults really happened, and really cut work off.
    expect(omi.requests.filter((r) => r.fault).length).toBeGreaterThan(100);
  } finally {
    await s.close();
  }
});
