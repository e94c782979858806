// The headless UI server over real sockets on port 0, against a real core (encrypted database in a
// temp dir): the token, Host and origin checks, the RPC envelope for every contract channel, the
// static renderer with its CSP, server-sent events, and the separation from the webhook port.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCore, must, tempDir, type TestCore } from '../../../test/support/core';
import { json, send } from '../../../test/support/http';
import { httpTransport } from '../../renderer/src/transport';
import { channelNames } from '../../shared/ipc/contract';
import { startHeadless, type Headless } from '.';
import { createUiServer, UI_CONTENT_SECURITY_POLICY, type UiServer } from './ui';

const PASS = 'ui server passphrase';
const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

let dir: ReturnType<typeof tempDir>;
let t: TestCore;
let ui: UiServer;
let profileId: string;
let rendererDir: string;

const rpc = (channel: string, body: unknown, headers: Record<string, string> = auth) =>
  send(`${ui.url}/rpc/${channel}`, json(body, headers));

/** Opens the event stream and collects its frames until `until` matches the text so far. */
function readEvents(headers: Record<string, string>, until: (text: string) => boolean, onOpen: () => void) {
  return new Promise<{ status: number; type: string | undefined; text: string }>((resolve, reject) => {
    const req = request(`${ui.url}/events`, { headers }, (res) => {
      let text = '';
      if (res.statusCode !== 200) {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.startsWith(': connected') && text.length === chunk.length) onOpen();
        if (until(text)) {
          req.destroy();
          resolve({ status: 200, type: res.headers['content-type'], text });
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = tempDir();
  rendererDir = join(dir.path, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Angel Memory</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir.path, 'outside.txt'), 'secret');
  symlinkSync(join(dir.path, 'outside.txt'), join(rendererDir, 'link.txt'));
  t = makeCore(join(dir.path, 'data'));
  const created = must(
    await t.core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'passphrase', passphrase: PASS } }),
  );
  profileId = created.profile.id;
  ui = await createUiServer({ port: 0, core: t.core, rendererDir, token: TOKEN, logger: t.logs.logger });
});

afterAll(async () => {
  await ui.close();
  await t.close();
  dir.remove();
});

describe('RPC', () => {
  it('answers the Result envelope of the core', async () => {
    const res = await rpc('memories.create', { profileId, content: 'Bought a red bike', tags: ['bike'] });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, value: { content: 'Bought a red bike', tags: ['bike'] } });
    const list = await rpc('memories.list', { profileId });
    expect(list.json).toMatchObject({ ok: true, value: { total: 1 } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('serves every contract channel (a missing input is BAD_INPUT, never 404)', async () => {
    for (const channel of channelNames) {
      const res = await rpc(channel, { profileId: 'nope' });
      expect(res.status, channel).toBe(200);
      expect(res.json, channel).toHaveProperty('ok');
    }
  });

  it.each([
    ['missing', {}],
    ['wrong', { authorization: 'Bearer not-the-token' }],
    ['not bearer', { authorization: TOKEN }],
    ['prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
  ])('refuses a %s token with 401', async (_name, headers) => {
    const res = await rpc('profiles.list', {}, headers);
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('checks the token before saying whether a channel exists', async () => {
    expect((await rpc('no.such', {}, {})).status).toBe(401);
  });

  it.each(['no.such', 'constructor', '__proto__', 'profiles.list/x', ''])(
    'answers 404 to unknown channel %j',
    async (name) => {
      const res = await rpc(name, {});
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    },
  );

  it('answers BAD_INPUT to malformed JSON and to input the contract refuses', async () => {
    const broken = await send(`${ui.url}/rpc/memories.create`, json('{"profileId":', auth));
    expect(broken.status).toBe(400);
    expect(broken.json).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    const poisoned = await send(`${ui.url}/rpc/profiles.list`, json('{"__proto__":{"x":1}}', auth));
    expect(poisoned.json).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    const invalid = await rpc('memories.create', { profileId, content: '' });
    expect(invalid.status).toBe(200);
    expect(invalid.json).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });

  it('wants POST with application/json under the size cap', async () => {
    const get = await send(`${ui.url}/rpc/profiles.list`, { method: 'GET', headers: auth });
    expect(get.status).toBe(405);
    const text = await send(`${ui.url}/rpc/profiles.list`, {
      headers: { ...auth, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
    const big = await rpc('memories.create', { profileId, content: 'x'.repeat(1024 * 1024 + 1) });
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
  });

  it('refuses a foreign Host with 403 (DNS rebinding), on RPC and on the page', async () => {
    for (const path of ['/rpc/profiles.list', '/']) {
      const res = await send(`${ui.url}${path}`, json({}, { ...auth, host: 'evil.example:8788' }));
      expect(res.status, path).toBe(403);
      expect(res.json).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    const local = await rpc('profiles.list', {}, { ...auth, host: `localhost:${ui.port}` });
    expect(local.status).toBe(200);
  });

  it('sends no CORS headers and refuses cross-origin calls', async () => {
    const cross = await rpc('profiles.list', {}, { ...auth, origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    const same = await rpc('profiles.list', {}, { ...auth, origin: ui.url });
    expect(same.status).toBe(200);
    const preflight = await send(`${ui.url}/rpc/profiles.list`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    for (const res of [cross, same, preflight]) {
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('never returns a secret: no passphrase, API key, webhook secret or recovery key on any channel', async () => {
    const apiKey = 'gm-secret-api-key-0123456789';
    t.core.settings.set(profileId, 'gemini.apiKey', apiKey, 'test');
    const webhookSecret = new URL(t.core.webhookUrl(profileId)).pathname.split('/').at(-1)!;
    const texts: string[] = [];
    // Every read the contract offers (writes and jobs such as sync or backups are left alone here).
    const reads = channelNames.filter((c) => /\.(list|get|status|conflicts|deadLetters)$/.test(c));
    expect(reads).toEqual(expect.arrayContaining(['profiles.list', 'memories.list', 'inbox.get', 'stats.get']));
    for (const channel of reads) {
      texts.push((await rpc(channel, { profileId })).text);
      texts.push((await rpc(channel, { profileId, id: 1 })).text);
    }
    const all = texts.join('\n');
    expect(all).toContain('"ok":true');
    for (const secret of [PASS, apiKey, webhookSecret]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/recoveryKey/i);
  });
});

describe('the page', () => {
  it('serves the renderer with a strict CSP and no token', async () => {
    const res = await send(`${ui.url}/`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(UI_CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(UI_CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.text).not.toContain(TOKEN);
    const js = await send(`${ui.url}/assets/app.js`, { method: 'GET' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(ui.pageUrl).toBe(`${ui.url}/#token=${TOKEN}`);
  });

  it.each(['/../outside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt', '/link.txt', '/nope.js', '/%00'])(
    'answers 404 to %s',
    async (path) => {
      const res = await send(`${ui.url}${path}`, { method: 'GET' });
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('secret');
    },
  );

  it('answers 404 to webhook paths: this port never accepts deliveries', async () => {
    const res = await send(`${ui.url}/omi/abc/conversation`, json({}));
    expect(res.status).toBe(404);
  });

  it('refuses to change files', async () => {
    expect((await send(`${ui.url}/index.html`, { method: 'PUT', body: 'x' })).status).toBe(405);
  });
});

describe('events', () => {
  it('needs the token', async () => {
    const res = await readEvents(
      {},
      () => true,
      () => undefined,
    );
    expect(res.status).toBe(401);
  });

  it('streams the core push events', async () => {
    const res = await readEvents(
      auth,
      (text) => text.includes('event: profiles.changed'),
      () => void t.core.invoke('profiles.lock', { profileId }),
    );
    expect(res.type).toBe('text/event-stream; charset=utf-8');
    expect(res.text).toContain(`event: profiles.changed\ndata: {"profileId":"${profileId}","locked":true}\n\n`);
  });
});

describe('startHeadless', () => {
  let headless: Headless;

  beforeAll(async () => {
    await t.core.unlock(profileId, { kind: 'passphrase', passphrase: PASS });
    headless = await startHeadless({
      core: t.core,
      profileId,
      webhookPort: 0,
      uiPort: 0,
      rendererDir,
      logger: t.logs.logger,
    });
  });
  afterAll(() => headless.close());

  it('serves the UI and the webhook on separate ports that do not share routes', async () => {
    expect(headless.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    const uiOrigin = new URL(headless.uiUrl!).origin;
    const webhookOrigin = new URL(headless.webhookUrl).origin;
    expect(uiOrigin).not.toBe(webhookOrigin);
    const token = headless.uiUrl!.split('#token=')[1]!;
    const bearer = { authorization: `Bearer ${token}` };

    const viaUi = await send(`${uiOrigin}/rpc/profiles.list`, json({}, bearer));
    expect(viaUi.status).toBe(200);
    expect(viaUi.json).toMatchObject({ ok: true, value: [{ id: profileId, locked: false }] });

    const rpcOnWebhook = await send(`${webhookOrigin}/rpc/profiles.list`, json({}, bearer));
    expect(rpcOnWebhook.status).toBe(404);
    const pageOnWebhook = await send(`${webhookOrigin}/`, { method: 'GET' });
    expect(pageOnWebhook.status).toBe(404);

    const webhookPath = new URL(headless.webhookUrl).pathname;
    const omiOnUi = await send(`${uiOrigin}${webhookPath}/conversation`, json({}));
    expect(omiOnUi.status).toBe(404);
  });

  it('uses a fresh token on every run', async () => {
    const other = await createUiServer({ port: 0, core: t.core, rendererDir, logger: t.logs.logger });
    try {
      expect(other.pageUrl.split('#token=')[1]).not.toBe(headless.uiUrl!.split('#token=')[1]);
    } finally {
      await other.close();
    }
  });
});

describe("the renderer's HTTP transport against this server", () => {
  it('invokes channels and receives push events like the Electron bridge', async () => {
    const transport = httpTransport({ origin: ui.url, token: TOKEN });
    const listed = await transport.invoke('profiles.list', {});
    expect(listed).toMatchObject({ ok: true, value: [{ id: profileId }] });
    const wrong = await httpTransport({ origin: ui.url, token: 'nope' }).invoke('profiles.list', {});
    expect(wrong).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const bad = await transport.invoke('memories.create', { profileId, content: '' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });

    const seen: unknown[] = [];
    const received = new Promise<void>((resolve) => {
      const off = transport.on('profiles.changed', (payload) => {
        seen.push(payload);
        off();
        resolve();
      });
    });
    // The stream may not be open yet when the first lock happens; keep poking until it arrives.
    let done = false;
    void received.then(() => (done = true));
    while (!done) {
      await transport.invoke('profiles.lock', { profileId });
      await Promise.race([received, new Promise((r) => setTimeout(r, 50))]);
    }
    expect(seen[0]).toEqual({ profileId, locked: true });
  });
});
