// `npm run bench -- sync`: the initial sync of 10,000 memories and 2,000 conversations (40 transcript
// segments each) from the fake OMI server with its rate limit switched off (and our own pacing off:
// at OMI's real 100 requests/minute the ~190 page requests alone would take two minutes). Reports
// records per second and how the time splits between our code (parsing, three-way compare, SQLite
// writes with synchronous=FULL) and waiting on HTTP (request to last byte; the fake runs in this
// process, so its own JSON work counts as HTTP time, which flatters neither side). Behaviour is
// asserted (every record arrived), timing is only reported.
import { performance } from 'node:perf_hooks';
import { expect, test } from 'vitest';
import { createFakeOmi } from '../test/fakes/omi-server';
import { tempDir } from '../test/support/core';
import { openSyncCore } from '../test/sync/support';

const MEMORIES = 10_000;
const CONVERSATIONS = 2_000;
const SEGMENTS = 40;

test('initial sync throughput', async () => {
  const omi = await createFakeOmi({ rateLimit: false });
  const dir = tempDir('angel-memory-bench-sync-');
  for (let i = 0; i < MEMORIES; i++) {
    omi.addMemory({
      content: `Memory ${i}: remembers the ${i % 7 ? 'garden' : 'vendor'} detail number ${i}`,
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
        text: `Segment ${k} of conversation ${i}: some words about lead times and pricing.`,
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
  const s = await openSyncCore(dir.path, omi.url, { ports: { rateLimit: null, fetch: timedFetch } });
  try {
    const t0 = performance.now();
    const report = await s.core.sync.run(s.profileId, true);
    const totalMs = performance.now() - t0;
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
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await s.close();
    await omi.close();
    dir.remove();
  }
});
