// "Send test delivery" end to end: a real core, a real webhook listener on port 0 (headless host),
// the local path straight to it and the tunnel path through an injected fetch that records the URL
// and forwards to the same listener (never to a remote host).
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { must, tempDir, FAST_SCRYPT } from '../../../test/support/core';
import { createFileLogger, type LogSink } from '../logging';
import { startHeadless, type Headless } from '../server';
import type { Fetch } from '../sync/client';
import { createCore, type Core } from '.';
import { memorySettings, systemClock } from './ports';
import { DEFAULT_WEBHOOK_PORT } from './profile-settings';
import { sendTestDelivery } from './webhook-test';

const TUNNEL_HOST = 'angel-test.tunnel.invalid';

let dir: ReturnType<typeof tempDir>;
let logs: LogSink;
let core: Core;
let headless: Headless;
let profileId: string;
const forwarded: { url: string; headers: Record<string, string> }[] = [];

/** Sends what the tunnel would: the same request, to the local listener, with the tunnel's Host. */
const tunnelFetch: Fetch = (input, init) => {
  const url = new URL(input);
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  forwarded.push({ url: input, headers });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: headless.listener.port,
        method: init.method,
        path: url.pathname + url.search,
        headers: { ...headers, host: url.host },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
      },
    );
    req.on('error', reject);
    req.end(init.body as Buffer);
  });
};

beforeAll(async () => {
  dir = tempDir();
  const dataDir = join(dir.path, 'data');
  logs = createFileLogger({ dir: join(dataDir, 'logs'), level: 'debug' });
  core = createCore({
    dataDir,
    settings: memorySettings(),
    clock: systemClock,
    logger: logs.logger,
    redactor: logs.redactor,
    scryptParams: FAST_SCRYPT,
    sync: { fetch: tunnelFetch },
  });
  const created = must(
    await core.invoke('profiles.create', {
      name: 'Ada',
      protection: { kind: 'passphrase', passphrase: 'pw pw pw pw' },
    }),
  );
  profileId = created.profile.id;
  headless = await startHeadless({ core, profileId, webhookPort: 0, logger: logs.logger });
});

afterAll(async () => {
  await headless.close();
  core.close();
  await logs.close();
  dir.remove();
});

const secretOf = () => new URL(core.webhookUrl(profileId)).pathname.split('/').at(-1)!;

describe('webhook.test', () => {
  it('local: delivers to the port the listener really listens on and finds the inbox row', async () => {
    const url = must(await core.invoke('webhook.url', { profileId })).url;
    expect(headless.listener.port).not.toBe(DEFAULT_WEBHOOK_PORT);
    expect(new URL(url).port).toBe(String(headless.listener.port));
    const result = must(await core.invoke('webhook.test', { profileId, via: 'local' }));
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    expect(result.inboxId).toEqual(expect.any(Number));
    expect(JSON.stringify(result)).not.toContain(secretOf());
    const entry = must(await core.invoke('inbox.get', { profileId, id: result.inboxId! }));
    expect(entry).toMatchObject({ kind: 'transcript', status: 'applied', uid: 'test' });
    expect(entry.idempotencyKey).toMatch(/^angel-memory-test:/);
    expect(entry.payload).toContain('Angel Memory test delivery');
  });

  it('the delivery shows in the metrics series', async () => {
    // The headless host unlocked nothing itself (creation opened the vault): the first read starts it.
    must(await core.invoke('metrics.series', { profileId }));
    await core.invoke('webhook.test', { profileId, via: 'local' });
    await core.metrics.sampleAll();
    const { samples } = must(await core.invoke('metrics.series', { profileId }));
    expect(samples.length).toBeGreaterThanOrEqual(2);
    const last = samples.at(-1)!;
    expect(last.deliveries).toBeGreaterThanOrEqual(1);
    expect(last.ingestP50Ms).toEqual(expect.any(Number));
  });

  it('tunnel: needs a tunnel host', async () => {
    const r = await core.invoke('webhook.test', { profileId, via: 'tunnel' });
    expect(r).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('tunnel: posts to https://<tunnel host>/omi/<secret>/transcript with the bound uid', async () => {
    must(await core.invoke('settings.set', { profileId, key: 'webhook.tunnelHost', value: TUNNEL_HOST }));
    must(await core.invoke('settings.set', { profileId, key: 'omi.uid', value: 'uid-42' }));
    const result = must(await core.invoke('webhook.test', { profileId, via: 'tunnel' }));
    expect(forwarded.at(-1)!.url).toBe(`https://${TUNNEL_HOST}/omi/${secretOf()}/transcript?uid=uid-42`);
    expect(forwarded.at(-1)!.headers['x-omi-idempotency-key']).toMatch(/^angel-memory-test:/);
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    const entry = must(await core.invoke('inbox.get', { profileId, id: result.inboxId! }));
    expect(entry.uid).toBe('uid-42');
  });

  it('a refused delivery reports the status and the reason, without the secret', async () => {
    must(await core.invoke('settings.set', { profileId, key: 'webhook.requireSignature', value: 'true' }));
    try {
      // Signed with the profile's signing secret when it has one; without one the listener refuses.
      const refused = must(await core.invoke('webhook.test', { profileId, via: 'local' }));
      expect(refused).toMatchObject({ ok: false, status: 401, inboxId: null });
      expect(refused.error).toContain('signed');
      must(
        await core.invoke('settings.set', {
          profileId,
          key: 'webhook.signingSecret',
          value: 'whsec_sign-me-0123456789',
        }),
      );
      const signed = must(await core.invoke('webhook.test', { profileId, via: 'local' }));
      expect(signed).toMatchObject({ ok: true, status: 200 });
    } finally {
      must(await core.invoke('settings.set', { profileId, key: 'webhook.requireSignature', value: 'false' }));
    }
  });
});

describe('sendTestDelivery', () => {
  it('a listener that is not there is an error that does not echo the URL', async () => {
    const session = core.vault.session(profileId);
    const secret = secretOf();
    const result = await sendTestDelivery({
      db: session.db,
      localBase: `http://127.0.0.1:1/omi/${secret}`,
      secret,
      via: 'local',
      fetch: (input, init) => fetch(input, init),
      now: () => new Date(),
    });
    expect(result).toMatchObject({ ok: false, status: null, inboxId: null });
    expect(result.error).toEqual(expect.any(String));
    expect(result.error).not.toContain(secret);
  });

  it('gives up after its timeout', async () => {
    const secret = secretOf();
    const result = await sendTestDelivery({
      db: core.vault.session(profileId).db,
      localBase: `http://127.0.0.1:1/omi/${secret}`,
      secret,
      via: 'local',
      fetch: (_input, init) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)),
        ),
      now: () => new Date(),
      timeoutMs: 30,
    });
    expect(result).toMatchObject({ ok: false, status: null, error: 'no answer within 30 ms' });
  });
});
