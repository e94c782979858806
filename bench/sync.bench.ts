// `npm run bench -- sync`: the initial sync of 10,000 memories and 2,000 conversations (40 transcript
// segments each) from the fake OMI server with its rate limit switched off (and our own pacing off:
// at OMI's real 100 requests/minute the ~190 page requests alone would take two minutes). Reports
// records per second and how the time splits between our code (parsing, three-way compare, SQLite
// writes with synchronous=FULL) and waiting on HTTP (request to last byte; the fake runs in this
// process, so its own JSON work counts as HTTP time, which flatters neither side). Behaviour is
// asserted (every record arrived), timing is only reported.
//
// Two reference points from the same run: a raw baseline (the same rows written with bare prepared
// INSERTs into a vault opened the same way, same triggers, one transaction per page as the pull
// commits them), so "our code" reads as a ratio to what the database alone costs; and the longest
// the event loop was blocked during the sync (DESIGN.md §10 allows 50 ms at a time).
import { createHash } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { expect, test } from 'vitest';
import { createFakeOmi } from '../test/fakes/omi-server';
import { tempDir } from '../test/support/core';
import { openTestDb } from '../test/support/db';
import { openSyncCore } from '../test/sync/support';

const MEMORIES = 10_000;
const CONVERSATIONS = 2_000;
const SEGMENTS = 40;
const MEMORY_PAGE = 100;
const CONVERSATION_PAGE = 25;

const memoryText = (i: number) => `Memory ${i}: remembers the ${i % 7 ? 'garden' : 'vendor'} detail number ${i}`;
const segmentText = (i: number, k: number) =>
  `Segment ${k} of conversation ${i}: some words about lead times and pricing.`;

/** The same rows, bare INSERTs, one transaction per page: what the database alone costs. */
function rawBaselineMs(): number {
  const t = openTestDb('angel-memory-bench-sync-raw-');
  try {
    const now = new Date().toISOString();
    const memory = t.db.prepare(
      "INSERT INTO memories (id, content, category, origin, remote_id, remote_hash, created_at, updated_at) VALUES (?, ?, 'system', 'sync', ?, ?, ?, ?)",
    );
    const conversation = t.db.prepare(
      "INSERT INTO conversations (id, created_at, title, overview, category, raw, content_hash, origin, updated_at) VALUES (?, ?, ?, 'A benchmark conversation.', 'business', '{}', ?, 'sync', ?)",
    );
    const segment = t.db.prepare(
      'INSERT INTO transcript_segments (conversation_id, idx, segment_id, text, speaker_id, start_s, end_s) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const hash = (x: string) => createHash('sha256').update(x).digest('hex');
    const t0 = performance.now();
    for (let p = 0; p < MEMORIES; p += MEMORY_PAGE) {
      t.db.transaction(() => {
        for (let i = p; i < Math.min(p + MEMORY_PAGE, MEMORIES); i++) {
          memory.run(`raw-${i}`, memoryText(i), `m_${i}`, hash(memoryText(i)), now, now);
        }
      })();
    }
    for (let p = 0; p < CONVERSATIONS; p += CONVERSATION_PAGE) {
      t.db.transaction(() => {
        for (let i = p; i < Math.min(p + CONVERSATION_PAGE, CONVERSATIONS); i++) {
          conversation.run(`bench-conv-${i}`, now, `Conversation ${i}`, hash(String(i)), now);
          for (let k = 0; k < SEGMENTS; k++)
            segment.run(`bench-conv-${i}`, k, `s${k}`, segmentText(i, k), k % 2, k * 3, k * 3 + 2.5);
        }
      })();
    }
    return performance.now() - t0;
  } finally {
    t.close();
  }
}

test('initial sync throughput', async () => {
  const omi = await createFakeOmi({ rateLimit: false });
  const dir = tempDir('angel-memory-bench-sync-');
  for (let i = 0; i < MEMORIES; i++) {
    omi.addMemory({
      content: memoryText(i),
      tags: i % 3 ? [] : ['bench'],
    });
  }
  for (let i = 0; i < CONVERSATIONS; i++) {
    omi.addConversation({
      id: `bench-conv-${i}`,
      started_at: '2026-01-05T11:02:10+00:00',
      finished_at: '2026-01-05T11:24:58+00:00',
      language: 'en',
      source: 'omi',
      structured: {
        title: `Conversation ${i}`,
        overview: 'A benchmark conversation.',
        category: 'business',
        action_items: [],
        events: [],
      },
      transcript_segments: Array.from({ length: SEGMENTS }, (_, k) => ({
        id: `s${k}`,
        text: segmentText(i, k),
        speaker_id: k % 2,
        start: k * 3,
        end: k * 3 + 2.5,
      })),
    });
  }

  let httpMs = 0;
  let requests = 0;
  const timedFetch = async (input: string, init: RequestInit) => {
    const t0 = performance.now();
    const res = await fetch(input, init);
    const body = await res.text();
    httpMs += performance.now() - t0;
    requests++;
    return new Response(body, { status: res.status, headers: res.headers });
  };
  const s = await openSyncCore(dir.path, omi.url, {
    ports: { rateLimit: null, fetch: timedFetch, memoryPage: MEMORY_PAGE, conversationPage: CONVERSATION_PAGE },
  });
  try {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const t0 = performance.now();
    const report = await s.core.sync.run(s.profileId, true);
    const totalMs = performance.now() - t0;
    loop.disable();
    const rawMs = rawBaselineMs();
    expect(report.errors).toEqual([]);
    expect(report.pull?.memories.created).toBe(MEMORIES);
    expect(report.pull?.conversations.created).toBe(CONVERSATIONS);
    const db = s.core.vault.session(s.profileId).db;
    expect(db.prepare('SELECT count(*) AS n FROM transcript_segments').get()).toEqual({ n: CONVERSATIONS * SEGMENTS });

    const records = MEMORIES + CONVERSATIONS;
    const ours = totalMs - httpMs;
    const lines = [
      '',
      `sync bench: ${MEMORIES} memories + ${CONVERSATIONS} conversations x ${SEGMENTS} segments, ${requests} requests`,
      `  total      ${(totalMs / 1000).toFixed(2)} s   ${Math.round(records / (totalMs / 1000))} records/s (${Math.round((MEMORIES + CONVERSATIONS * (SEGMENTS + 1)) / (totalMs / 1000))} rows/s incl. segments)`,
      `  our code   ${(ours / 1000).toFixed(2)} s   ${((ours / totalMs) * 100).toFixed(1)}%`,
      `  HTTP wait  ${(httpMs / 1000).toFixed(2)} s   ${((httpMs / totalMs) * 100).toFixed(1)}%`,
      `  raw baseline (bare INSERTs of the same rows) ${(rawMs / 1000).toFixed(2)} s; our code = ${(ours / rawMs).toFixed(2)} x raw`,
      // The fake runs in this process: its own work (sorting 10,000 memories per page) counts here too.
      `  event loop blocked at most ${(loop.max / 1e6).toFixed(0)} ms (p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms; budget 50 ms; includes the fake)`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await s.close();
    await omi.close();
    dir.remove();
  }
});
