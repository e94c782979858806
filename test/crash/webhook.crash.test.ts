// Crash test: a real `serve` child process receives 2,000 conversation deliveries (about 20% exact
// duplicates and 5% revisions) while it is SIGKILLed at random moments and restarted. A delivery that
// was not acknowledged is sent again, as OMI's retrying backends do. Afterwards every acknowledged
// delivery must be present exactly once and the vault must be healthy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServe, type Served } from '../support/cli';
import { makeCore, must, tempDir } from '../support/core';
import { json, send } from '../support/http';

const TOTAL = 2000;
const KILLS = 12;
const PASS = 'crash test passphrase';
const base = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/conversation-created.json'), 'utf8')) as {
  structured: Record<string, unknown>;
  transcript_segments: unknown[];
};

// A small seeded generator so a failure can be replayed.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Delivery {
  id: string;
  title: string;
  segments: number;
  body: string;
}

function plan(random: () => number): Delivery[] {
  const out: Delivery[] = [];
  const ids: string[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const r = random();
    if (r < 0.2 && out.length > 0) {
      out.push(out[Math.floor(random() * out.length)]!); // exact duplicate of an earlier delivery
      continue;
    }
    const revise = r < 0.25 && ids.length > 0;
    const id = revise ? ids[Math.floor(random() * ids.length)]! : `crash-${ids.length}`;
    if (!revise) ids.push(id);
    const segments = 1 + Math.floor(random() * base.transcript_segments.length);
    const title = `${id} v${i}`;
    const body = JSON.stringify({
      ...base,
      id,
      structured: { ...base.structured, title },
      transcript_segments: base.transcript_segments.slice(0, segments),
    });
    out.push({ id, title, segments, body });
  }
  return out;
}

const dir = tempDir();
let served: Served | undefined;

beforeAll(async () => {
  const t = makeCore(dir.path);
  must(await t.core.invoke('profiles.create', { name: 'Crash', protection: { kind: 'passphrase', passphrase: PASS } }));
  await t.close();
});
afterAll(() => {
  served?.child.kill('SIGKILL');
  dir.remove();
});

test('acknowledged deliveries survive repeated SIGKILL exactly once', async () => {
  const deliveries = plan(rng(20261122));
  served = await startServe(dir.path, 'Crash', PASS);
  let restarting: Promise<void> | undefined;
  let kills = 0;
  let interrupted = 0;
  const acked: Delivery[] = [];
  const lastAcked = new Map<string, Delivery>();
  const busy = new Map<string, Promise<void>>();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function deliver(d: Delivery): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      await restarting;
      try {
        const res = await send(`${served!.webhookUrl}/conversation?uid=crash-uid`, json(d.body));
        if (res.status === 200) {
          // A re-sent old body is a duplicate and must not roll back a newer revision.
          if (!acked.some((a) => a.body === d.body)) lastAcked.set(d.id, d);
          acked.push(d);
          return;
        }
        throw new Error(`status ${res.status}: ${res.text}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('status')) throw err;
        interrupted++;
        await sleep(20); // connection refused or reset: the server is down; try again
      }
    }
    throw new Error(`delivery of ${d.id} never acknowledged`);
  }

  // Kill points at random delivery counts, each after a random few milliseconds more: mid-request,
  // mid-commit or idle, wherever they fall.
  const random = rng(7);
  const killAt = Array.from({ length: KILLS }, () => 50 + Math.floor(random() * (TOTAL - 100))).sort((a, b) => a - b);
  const killer = (async () => {
    for (const at of killAt) {
      while (acked.length < at) await sleep(2);
      await sleep(random() * 15);
      let release!: () => void;
      restarting = new Promise((r) => (release = r));
      served.child.kill('SIGKILL');
      await served.exited;
      kills++;
      served = await startServe(dir.path, 'Crash', PASS);
      release();
    }
  })();

  // Four concurrent senders; deliveries of one conversation go one at a time and in order.
  let next = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const d = deliveries[next++]!;
      const previous = busy.get(d.id) ?? Promise.resolve();
      const mine = previous.then(() => deliver(d));
      busy.set(d.id, mine);
      await mine;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  await killer;
  expect(kills).toBeGreaterThanOrEqual(10);
  // The kills really cut requests off (refused or reset), and those were sent again.
  expect(interrupted).toBeGreaterThan(0);
  expect(acked).toHaveLength(TOTAL);

  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  served = undefined;

  const t = makeCore(dir.path);
  try {
    const [profile] = must(await t.core.invoke('profiles.list', {}));
    await t.core.unlock(profile!.id, { kind: 'passphrase', passphrase: PASS });
    const db = t.core.vault.session(profile!.id).db;
    const rows = db.prepare('SELECT id, title FROM conversations').all() as { id: string; title: string }[];
    // Exactly one row per acknowledged conversation, holding its newest acknowledged version.
    expect(rows).toHaveLength(lastAcked.size);
    for (const row of rows) expect(row.title).toBe(lastAcked.get(row.id)?.title);
    // Segments were replaced, never duplicated.
    const segments = db
      .prepare('SELECT conversation_id AS id, count(*) AS n FROM transcript_segments GROUP BY 1')
      .all() as {
      id: string;
      n: number;
    }[];
    for (const s of segments) expect(s.n).toBe(lastAcked.get(s.id)?.segments);
    expect(segments.reduce((a, s) => a + s.n, 0)).toBe([...lastAcked.values()].reduce((a, d) => a + d.segments, 0));
    // Every acknowledged body is in the inbox.
    const inboxed = db
      .prepare("SELECT count(DISTINCT body_sha256) AS n FROM webhook_inbox WHERE status != 'failed'")
      .get() as {
      n: number;
    };
    expect(inboxed.n).toBe(new Set(acked.map((d) => d.body)).size);
    const report = await t.core.doctor(profile!.id);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.healthy).toBe(true);
  } finally {
    await t.close();
  }
});
