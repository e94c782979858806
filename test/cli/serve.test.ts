// `serve` as a real process: the ready line, OMI's fixtures delivered over HTTP and read back through
// the CLI, the inbox commands, and a SIGTERM that lets in-flight deliveries commit before exiting 0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runBin, startServe, type Served } from '../support/cli';
import { makeCore, must, tempDir } from '../support/core';
import { json, send } from '../support/http';

const PASS = 'serve test passphrase';
const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures', name), 'utf8');
const conversation = JSON.parse(fixture('conversation-created.json')) as { id: string; structured: { title: string } };

const dir = tempDir();
let served: Served | undefined;
const cli = (...args: string[]) =>
  runBin(['--data-dir', dir.path, '--json', ...args], { ANGEL_MEMORY_PASSPHRASE: PASS, HOME: dir.path });

beforeAll(async () => {
  const t = makeCore(dir.path);
  must(await t.core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'passphrase', passphrase: PASS } }));
  await t.close();
});
afterAll(() => {
  served?.child.kill('SIGKILL');
  dir.remove();
});

test('serve prints its ready line and ingests the OMI fixtures, readable through the CLI', async () => {
  served = await startServe(dir.path, 'Ada', PASS);
  expect(served.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/omi\/[A-Za-z0-9_-]{32}$/);
  const post = (kind: string, body: string) => send(`${served!.webhookUrl}/${kind}?uid=ada-uid`, json(body));
  expect((await post('conversation', fixture('conversation-created.json'))).status).toBe(200);
  expect((await post('conversation', fixture('conversation-created.json'))).status).toBe(200);
  expect((await post('transcript', fixture('realtime-transcript.object.json'))).status).toBe(200);
  expect((await post('transcript', fixture('realtime-transcript.array.json'))).status).toBe(200);
  expect((await post('day-summary', fixture('day-summary.json'))).status).toBe(200);

  served.child.kill('SIGTERM');
  expect(await served.exited).toBe(0);
  served = undefined;

  const got = await cli('conversation', 'get', '--profile', 'Ada', conversation.id);
  expect(got.code).toBe(0);
  const detail = JSON.parse(got.stdout) as { title: string; segments: unknown[]; origin: string };
  expect(detail).toMatchObject({ title: conversation.structured.title, origin: 'webhook' });
  expect(detail.segments.length).toBeGreaterThan(0);

  const stats = JSON.parse((await cli('stats', '--profile', 'Ada')).stdout) as { conversations: number; inbox: object };
  expect(stats.conversations).toBe(1);
  expect(stats.inbox).toEqual({ applied: 4, duplicate: 1 });

  const inbox = JSON.parse((await cli('inbox', 'list', '--profile', 'Ada')).stdout) as {
    items: { id: number; kind: string; status: string }[];
  };
  expect(inbox.items.map((i) => [i.kind, i.status])).toEqual([
    ['day-summary', 'applied'],
    ['transcript', 'applied'],
    ['transcript', 'applied'],
    ['conversation', 'duplicate'],
    ['conversation', 'applied'],
  ]);
  const first = inbox.items.at(-1)!;
  const shown = JSON.parse((await cli('inbox', 'show', '--profile', 'Ada', String(first.id))).stdout) as {
    payload: string;
  };
  expect(JSON.parse(shown.payload)).toMatchObject({ id: conversation.id });
  const replayed = await cli('inbox', 'replay', '--profile', 'Ada', String(first.id));
  expect(JSON.parse(replayed.stdout)).toEqual({ status: 'duplicate' });
  expect((await cli('inbox', 'show', '--profile', 'Ada', '999')).code).toBe(1);
});

test('SIGTERM lets in-flight deliveries commit: every acknowledged one is stored', async () => {
  served = await startServe(dir.path, 'Ada', PASS);
  const url = served.webhookUrl;
  const results = Array.from({ length: 40 }, (_, i) =>
    send(`${url}/day-summary?uid=ada-uid`, json({ summary: `during shutdown ${i}` })).then(
      (r) => r.status,
      () => 'refused',
    ),
  );
  setTimeout(() => served!.child.kill('SIGTERM'), 5);
  const statuses = await Promise.all(results);
  expect(await served.exited).toBe(0);
  served = undefined;
  // Nothing half-done: each request was either acknowledged or never accepted.
  expect(statuses.every((s) => s === 200 || s === 'refused')).toBe(true);
  const acked = statuses.filter((s) => s === 200).length;

  const t = makeCore(dir.path);
  try {
    const [profile] = must(await t.core.invoke('profiles.list', {}));
    await t.core.unlock(profile!.id, { kind: 'passphrase', passphrase: PASS });
    const rows = t.core.vault
      .session(profile!.id)
      .db.prepare("SELECT count(*) AS n FROM day_summaries WHERE summary LIKE 'during shutdown%'")
      .get() as { n: number };
    expect(rows.n).toBe(acked);
  } finally {
    await t.close();
  }
});
