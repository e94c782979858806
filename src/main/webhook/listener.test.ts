import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { makeCore, must, tempDir, type TestCore } from '../../../test/support/core';
import { json, send } from '../../../test/support/http';
import { createWebhookListener, type WebhookListener, type WebhookListenerOptions } from './listener';
import { signPayload } from './signature';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../../test/fixtures', name), 'utf8');
const conversation = JSON.parse(fixture('conversation-created.json')) as { id: string; structured: { title: string } };
const PASS = 'webhook test passphrase';

let dir: ReturnType<typeof tempDir>;
let t: TestCore;
let listener: WebhookListener;
let profileId: string;
let base: string; // http://127.0.0.1:<port>/omi/<secret>

async function start(options: Partial<WebhookListenerOptions> = {}) {
  await listener?.close();
  listener = await createWebhookListener({
    port: 0,
    route: (s) => t.core.webhook.route(s),
    allowedHosts: () => t.core.webhook.allowedHosts(),
    now: () => new Date(),
    logger: t.logs.logger,
    ...options,
  });
  const secret = t.core.webhookUrl(profileId).split('/').at(-1)!;
  base = `${listener.url}/omi/${secret}`;
}

beforeEach(async () => {
  dir = tempDir();
  t = makeCore(dir.path);
  profileId = must(
    await t.core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'passphrase', passphrase: PASS } }),
  ).profile.id;
  await start();
});
afterEach(async () => {
  await listener.close();
  await t.close();
  dir.remove();
});

const db = () => t.core.vault.session(profileId).db;
const count = (table: string) => (db().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
const written = () =>
  ['webhook_inbox', 'conversations', 'live_segments', 'day_summaries', 'audio_chunks']
    .map(count)
    .reduce((a, b) => a + b);
const spool = () => {
  try {
    return readdirSync(join(dir.path, 'profiles', profileId, 'spool'));
  } catch {
    return [];
  }
};

describe('guards: each refused with a JSON error and nothing written', () => {
  test.each([
    ['foreign Host', { host: 'evil.example' }, 403, 'FORBIDDEN'],
    ['any Origin', { origin: 'https://evil.example' }, 403, 'FORBIDDEN'],
    ['non-JSON content type', { 'content-type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('%s', async (_name, headers, status, code) => {
    const res = await send(`${base}/conversation?uid=u1`, {
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(conversation),
    });
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ error: { code } });
    expect(written()).toBe(0);
  });

  test('wrong method is 405; unknown secret and unknown path are the same 404', async () => {
    expect((await send(`${base}/conversation`, { method: 'GET' })).status).toBe(405);
    const unknownSecret = await send(`${listener.url}/omi/${'x'.repeat(32)}/conversation`, json(conversation));
    const unknownPath = await send(`${listener.url}/nothing/here`, json(conversation));
    const unknownKind = await send(`${base}/photos`, json(conversation));
    expect(unknownSecret.status).toBe(404);
    expect(unknownSecret.text).toBe(unknownPath.text);
    expect(unknownKind.text).toBe(unknownPath.text);
    expect(written()).toBe(0);
  });

  test('a body over the cap is 413, declared or streamed, without reading the rest', async () => {
    await start({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ ...conversation, pad: 'x'.repeat(5000) });
    const declared = await send(`${base}/conversation`, json(big));
    expect(declared.status).toBe(413);
    // Chunked: no Content-Length, the cap is enforced while reading.
    const streamed = await send(`${base}/conversation`, {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: big,
    });
    expect(streamed.status).toBe(413);
    expect(written()).toBe(0);
  });

  test('a bound uid that differs from ?uid= is 403', async () => {
    t.core.settings.set(profileId, 'omi.uid', 'uid-ada', 'user');
    t.core.webhook.invalidate();
    expect((await send(`${base}/conversation?uid=uid-eve`, json(conversation))).status).toBe(403);
    expect((await send(`${base}/conversation`, json(conversation))).status).toBe(403);
    expect(written()).toBe(0);
    expect((await send(`${base}/conversation?uid=uid-ada`, json(conversation))).status).toBe(200);
  });

  test('per-address rate limit answers 429 with Retry-After', async () => {
    await start({ ratePerMinute: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(`${base}/day-summary`, json({ summary: `s${i}` }))).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(count('day_summaries')).toBe(3);
  });

  test('requests that name no profile have their own budget and cannot starve deliveries', async () => {
    await start({ ratePerMinute: 2, strangerRatePerMinute: 2 });
    const probes = [];
    for (let i = 0; i < 4; i++)
      probes.push((await send(`${listener.url}/omi/guess${i}/conversation`, json({}))).status);
    expect(probes).toEqual([404, 404, 429, 429]);
    expect((await send(`${base}/day-summary`, json({ summary: 'still welcome' }))).status).toBe(200);
  });

  test('malformed JSON, prototype poisoning and schema errors are 4xx with nothing written', async () => {
    expect((await send(`${base}/conversation`, json('{"id": '))).status).toBe(400);
    const poisoned = await send(`${base}/conversation`, json('{"id":"c1","__proto__":{"polluted":true}}'));
    expect(poisoned.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await send(`${base}/conversation`, json({ title: 'no id' }))).status).toBe(422);
    expect((await send(`${base}/day-summary`, json({ summary: 5 }))).status).toBe(422);
    expect(written()).toBe(0);
  });

  test('a stalled request is cut off by the header timeout', async () => {
    await start({ headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutSweepMs: 100 });
    const { port } = listener;
    const closed = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('close', () => resolve(data));
    });
    expect(closed).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('deliveries', () => {
  test('the conversation fixture is stored; a duplicate leaves one row; a revision keeps history', async () => {
    const first = await send(`${base}/conversation?uid=u1`, json(conversation));
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ status: 'ok' });
    const stored = must(await t.core.invoke('conversations.get', { profileId, id: conversation.id }));
    expect(stored.title).toBe(conversation.structured.title);
    expect(stored.segments.length).toBeGreaterThan(0);

    expect((await send(`${base}/conversation?uid=u1`, json(conversation))).status).toBe(200);
    expect(count('conversations')).toBe(1);

    const revised = { ...conversation, structured: { ...conversation.structured, title: 'Revised title' } };
    expect((await send(`${base}/conversation?uid=u1`, json(revised))).status).toBe(200);
    expect(must(await t.core.invoke('conversations.get', { profileId, id: conversation.id })).title).toBe(
      'Revised title',
    );
    expect(db().prepare('SELECT title FROM conversation_revisions').all()).toEqual([
      { title: conversation.structured.title },
    ]);

    const inbox = must(await t.core.invoke('inbox.list', { profileId }));
    expect(inbox.items.map((i) => i.status)).toEqual(['revision', 'duplicate', 'applied']);
    expect(inbox.items.every((i) => i.size > 0 && i.kind === 'conversation')).toBe(true);
  });

  test('a new conversation queues one embed job in its transaction when a provider is set; a duplicate none', async () => {
    const jobs = () =>
      db().prepare("SELECT entity, state, payload FROM outbox WHERE kind = 'embed' ORDER BY pk").all() as {
        entity: string;
        state: string;
        payload: string;
      }[];
    // No provider: nothing is queued (a later pass over items without vectors catches up).
    expect((await send(`${base}/conversation?uid=u1`, json(conversation))).status).toBe(200);
    expect(jobs()).toEqual([]);

    t.core.settings.set(profileId, 'embedding.provider', 'gemini', 'user');
    const other = { ...conversation, id: 'embed-me' };
    expect((await send(`${base}/conversation?uid=u1`, json(other))).status).toBe(200);
    const queued = jobs();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ entity: 'embed:conversation:embed-me', state: 'pending' });
    expect(JSON.parse(queued[0]!.payload)).toEqual({ kind: 'conversation', id: 'embed-me' });

    expect((await send(`${base}/conversation?uid=u1`, json(other))).status).toBe(200);
    expect(jobs()).toHaveLength(1);
  });

  test('the idempotency header decides when present: same key and body is a duplicate, a new body a revision', async () => {
    const h = { 'x-omi-idempotency-key': `conversation:${conversation.id}:finalization` };
    expect((await send(`${base}/conversation`, json(conversation, h))).status).toBe(200);
    expect((await send(`${base}/conversation`, json(conversation, h))).status).toBe(200);
    const revised = { ...conversation, structured: { ...conversation.structured, title: 'Second pass' } };
    expect((await send(`${base}/conversation`, json(revised, h))).status).toBe(200);
    const statuses = must(await t.core.invoke('inbox.list', { profileId })).items.map((i) => i.status);
    expect(statuses).toEqual(['revision', 'duplicate', 'applied']);
    expect(
      must(await t.core.invoke('inbox.list', { profileId })).items.every(
        (i) => i.idempotencyKey === h['x-omi-idempotency-key'],
      ),
    ).toBe(true);
  });

  test('signatures: valid, tampered, expired, rotated, and required', async () => {
    t.core.settings.set(profileId, 'webhook.signingSecret', 'whsec_new_secret_1', 'user');
    const body = JSON.stringify({ summary: 'signed' });
    const now = Math.floor(Date.now() / 1000);
    const sig = (secret: string, ts = now, payload = body) => signPayload(secret, ts, 'u1', Buffer.from(payload));
    const post = (signature: string, payload = body) =>
      send(`${base}/day-summary?uid=u1`, json(payload, { 'x-omi-signature': signature }));

    expect((await post(`t=${now},v1=${sig('whsec_new_secret_1')}`)).status).toBe(200);
    expect((await post(`t=${now},v1=${sig('whsec_new_secret_1')}`, '{"summary":"tampered"}')).status).toBe(401);
    expect((await post(`t=${now - 400},v1=${sig('whsec_new_secret_1', now - 400)}`)).status).toBe(401);
    const rotated = JSON.stringify({ summary: 'signed during a rotation' });
    const both = `t=${now},v1=${sig('whsec_old_secret_0', now, rotated)},v1=${sig('whsec_new_secret_1', now, rotated)}`;
    expect((await post(both, rotated)).status).toBe(200);
    expect((await post(`t=${now},v1=${sig('whsec_wrong_secret')}`)).status).toBe(401);
    // Unsigned deliveries pass until the profile requires signatures.
    expect((await send(`${base}/day-summary?uid=u1`, json({ summary: 'unsigned' }))).status).toBe(200);
    t.core.settings.set(profileId, 'webhook.requireSignature', 'true', 'user');
    t.core.webhook.invalidate();
    expect((await send(`${base}/day-summary?uid=u1`, json({ summary: 'unsigned 2' }))).status).toBe(401);
    expect(count('day_summaries')).toBe(3);
  });

  test('realtime transcripts in both shapes, deduplicated, pushed live, linked to the conversation', async () => {
    const live: unknown[] = [];
    t.core.on('transcript.live', (e) => live.push(e));
    const object = fixture('realtime-transcript.object.json');
    const array = fixture('realtime-transcript.array.json');
    expect((await send(`${base}/transcript?uid=u1`, json(object))).status).toBe(200);
    expect((await send(`${base}/transcript?uid=u1&session_id=u1`, json(array))).status).toBe(200);
    expect((await send(`${base}/transcript?uid=u1&session_id=u1`, json(array))).status).toBe(200);
    expect(count('live_segments')).toBe(3);
    expect(live).toHaveLength(2);
    expect(live[1]).toMatchObject({ profileId, sessionId: 'u1', segments: [{ speakerId: 0 }, { speakerId: 1 }] });

    const now = new Date();
    const during = {
      ...conversation,
      started_at: new Date(now.getTime() - 60_000).toISOString(),
      finished_at: now.toISOString(),
    };
    expect((await send(`${base}/conversation?uid=u1`, json(during))).status).toBe(200);
    const linked = db()
      .prepare('SELECT count(*) AS n FROM live_segments WHERE conversation_id = ?')
      .get(conversation.id);
    expect(linked).toEqual({ n: 2 }); // the array's session is the uid; the object's is another session
  });

  test('day summaries are stored and listed', async () => {
    expect((await send(`${base}/day-summary?uid=u1`, json(fixture('day-summary.json')))).status).toBe(200);
    const list = must(await t.core.invoke('daySummaries.list', { profileId }));
    expect(list.items[0]).toMatchObject({ createdAt: '2026-01-05T21:00:03.512Z' });
    expect(list.items[0]?.summary).toMatch(/6 conversations/);
  });

  test('audio is counted and dropped unless the user turns storage on', async () => {
    const pcm = Buffer.alloc(3200, 1);
    const audio = { headers: { 'content-type': 'application/octet-stream' }, body: pcm };
    expect((await send(`${base}/audio?uid=u1&sample_rate=16000`, audio)).status).toBe(200);
    expect(count('audio_chunks')).toBe(0);
    expect(must(await t.core.invoke('inbox.list', { profileId })).items[0]).toMatchObject({
      kind: 'audio',
      size: 3200,
    });
    t.core.settings.set(profileId, 'audio.store', 'true', 'user');
    expect(
      (await send(`${base}/audio?uid=u1&sample_rate=16000`, { ...audio, body: Buffer.alloc(3200, 2) })).status,
    ).toBe(200);
    expect(db().prepare('SELECT sample_rate, length(bytes) AS n FROM audio_chunks').all()).toEqual([
      { sample_rate: 16000, n: 3200 },
    ]);
    expect((await send(`${base}/audio`, json({ x: 1 }))).status).toBe(415);
  });

  test('the reply message setting is returned for OMI to push to the phone', async () => {
    t.core.settings.set(profileId, 'webhook.replyMessage', 'Saved to Angel Memory', 'user');
    const res = await send(`${base}/day-summary`, json({ summary: 'x' }));
    expect(res.json).toEqual({ status: 'ok', message: 'Saved to Angel Memory' });
  });

  test('the configured tunnel host is allowed, others are not', async () => {
    t.core.settings.set(profileId, 'webhook.tunnelHost', 'Ada-Tunnel.trycloudflare.com', 'user');
    const ok = await send(`${base}/day-summary`, json({ summary: 'x' }, { host: 'ada-tunnel.trycloudflare.com' }));
    expect(ok.status).toBe(200);
    const bad = await send(`${base}/day-summary`, json({ summary: 'x' }, { host: 'other.trycloudflare.com' }));
    expect(bad.status).toBe(403);
  });

  test('rotating the secret retires the old URL at once', async () => {
    const old = base;
    const url = t.core.rotateWebhookSecret(profileId);
    expect((await send(`${old}/day-summary`, json({ summary: 'x' }))).status).toBe(404);
    expect(
      (await send(`${listener.url}/omi/${url.split('/').at(-1)}/day-summary`, json({ summary: 'x' }))).status,
    ).toBe(200);
  });

  test('inbox entries can be shown with secrets scrubbed and replayed idempotently', async () => {
    t.core.settings.set(profileId, 'gemini.apiKey', 'AIzaSECRETSECRETSECRET', 'user');
    await send(`${base}/day-summary`, json({ summary: 'my key is AIzaSECRETSECRETSECRET' }));
    const [entry] = must(await t.core.invoke('inbox.list', { profileId })).items;
    const shown = must(await t.core.invoke('inbox.get', { profileId, id: entry!.id }));
    expect(shown.payload).toContain('[redacted]');
    expect(shown.payload).not.toContain('AIzaSECRET');
    const before = count('conversations');
    await send(`${base}/conversation`, json(conversation));
    const convEntry = must(await t.core.invoke('inbox.list', { profileId, kind: 'conversation' })).items[0]!;
    expect(must(await t.core.invoke('inbox.replay', { profileId, id: convEntry.id })).status).toBe('duplicate');
    expect(must(await t.core.invoke('inbox.replay', { profileId, id: convEntry.id })).status).toBe('duplicate');
    expect(count('conversations')).toBe(before + 1);
  });

  test('healthz answers without data', async () => {
    const res = await send(`${listener.url}/healthz`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });
});

describe('locked profile', () => {
  test('deliveries are sealed to the spool (202, no plaintext) and ingested in order on unlock', async () => {
    must(await t.core.invoke('profiles.lock', { profileId }));
    const sentinel = 'SPOOL-SENTINEL-a81f';
    for (let i = 0; i < 5; i++) {
      const res = await send(`${base}/day-summary?uid=u1`, json({ summary: `${sentinel} ${i}` }));
      expect(res.status).toBe(202);
    }
    const c = { ...conversation, structured: { ...conversation.structured, title: sentinel } };
    expect((await send(`${base}/conversation?uid=u1`, json(c))).status).toBe(202);
    // Invalid bodies are refused while locked too.
    expect((await send(`${base}/conversation?uid=u1`, json({ nope: true }))).status).toBe(422);
    const files = spool();
    expect(files).toHaveLength(6);
    for (const f of files) {
      const bytes = readFileSync(join(dir.path, 'profiles', profileId, 'spool', f));
      expect(bytes.includes(sentinel)).toBe(false);
      expect(bytes.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    }

    must(await t.core.invoke('profiles.unlock', { profileId, credential: { kind: 'passphrase', passphrase: PASS } }));
    expect(spool()).toHaveLength(0);
    const summaries = db().prepare('SELECT summary FROM day_summaries ORDER BY pk').all() as { summary: string }[];
    expect(summaries.map((s) => s.summary)).toEqual([0, 1, 2, 3, 4].map((i) => `${sentinel} ${i}`));
    expect(must(await t.core.invoke('conversations.get', { profileId, id: conversation.id })).title).toBe(sentinel);
  });
});

describe('property: any body gets a 2xx or a 4xx, never a 5xx, never a partial write', () => {
  test('arbitrary JSON and arbitrary bytes on every route', async () => {
    await start({ ratePerMinute: 100_000 });
    const kinds = ['conversation', 'transcript', 'day-summary', 'audio'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...kinds),
        fc.oneof(
          fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
          fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
          fc.constant(Buffer.from(JSON.stringify(conversation))),
        ),
        async (kind, body) => {
          const before = count('webhook_inbox');
          const res = await send(`${base}/${kind}?uid=u1`, {
            headers: { 'content-type': kind === 'audio' ? 'application/octet-stream' : 'application/json' },
            body,
          });
          expect(res.status === 200 || (res.status >= 400 && res.status < 500)).toBe(true);
          // One inbox row per accepted delivery; none for a refused one.
          expect(count('webhook_inbox') - before).toBe(res.status === 200 ? 1 : 0);
        },
      ),
      { numRuns: 300 },
    );
    expect(db().pragma('integrity_check', { simple: true })).toBe('ok');
  });
});
