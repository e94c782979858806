// The ipcMain wiring against a real core (real encrypted database in a temp dir) and a fake ipcMain
// that captures handlers the way Electron's does: one per channel, a second registration throws.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCore, must, tempDir, type TestCore } from '../../../test/support/core';
import { channelNames, contract, eventNames, type ChannelOutput } from '../../shared/ipc/contract';
import type { Result } from '../../shared/result';
import { forwardEvents, isTrustedUrl, registerIpc, type CoreLike, type InvokeListener, type IpcMainLike } from './ipc';

const DEV_URL = 'http://localhost:5173';
const APP_FRAME = { url: 'app://angel/index.html' };

function fakeIpcMain() {
  const handlers = new Map<string, InvokeListener>();
  const ipcMain: IpcMainLike = {
    handle(channel, listener) {
      // Electron throws on a second handler for the same channel.
      if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => void handlers.delete(channel),
  };
  return { ipcMain, handlers };
}

describe('isTrustedUrl', () => {
  it.each([
    ['app://angel/index.html', true],
    ['app://angel/assets/index-abc.js', true],
    ['app://angel', true],
    ['http://localhost:5173/', true],
    ['http://localhost:5173/src/main.tsx', true],
    ['app://evil/index.html', false],
    ['app://angel.evil.com/index.html', false],
    ['app://user:pw@angel/index.html', false],
    ['http://localhost:5174/', false],
    ['https://localhost:5173/', false],
    ['http://127.0.0.1:5173/', false],
    ['file:///etc/passwd', false],
    ['https://example.com/', false],
    ['about:blank', false],
    ['not a url', false],
    ['', false],
  ])('%s -> %s', (url, expected) => {
    expect(isTrustedUrl(url, { devUrl: DEV_URL })).toBe(expected);
  });

  it('trusts no http origin without a dev server URL', () => {
    expect(isTrustedUrl('http://localhost:5173/', { devUrl: undefined })).toBe(false);
    expect(isTrustedUrl('app://angel/index.html', { devUrl: undefined })).toBe(true);
  });

  it('ignores a dev URL that is not http(s)', () => {
    expect(isTrustedUrl('file:///tmp/x.html', { devUrl: 'file:///tmp/x.html' })).toBe(false);
    expect(isTrustedUrl('http://localhost/', { devUrl: 'garbage' })).toBe(false);
  });
});

describe('registerIpc', () => {
  let dir: ReturnType<typeof tempDir>;
  let t: TestCore;
  let handlers: Map<string, InvokeListener>;
  let unregister: () => void;

  const trustedSender = (frame: { url: string } | null) => frame !== null && isTrustedUrl(frame.url, {});

  async function call<T = unknown>(channel: string, input: unknown, frame: { url: string } | null = APP_FRAME) {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return (await handler({ senderFrame: frame }, input)) as Result<T>;
  }

  beforeEach(() => {
    dir = tempDir();
    t = makeCore(dir.path);
    const fake = fakeIpcMain();
    handlers = fake.handlers;
    unregister = registerIpc(fake.ipcMain, t.core, trustedSender);
  });

  afterEach(async () => {
    await t.close();
    dir.remove();
  });

  it('registers exactly one handler per contract channel, and removes them all', () => {
    expect([...handlers.keys()].sort()).toEqual([...channelNames].sort());
    expect(new Set(channelNames).size).toBe(channelNames.length);
    unregister();
    expect(handlers.size).toBe(0);
  });

  it.each(channelNames)('%s: malformed input is BAD_INPUT, never a throw', async (channel) => {
    const inputs = [42, 'text', true, [1, 2], null, undefined, { profileId: 7, id: {} }, { name: '', protection: {} }];
    for (const input of inputs) {
      // Channels that need no arguments (profiles.list, logs.tail): a missing input or unknown keys are
      // fine, a non-object is not.
      const harmless = input === null || input === undefined || (typeof input === 'object' && !Array.isArray(input));
      if (contract[channel].input.safeParse({}).success && harmless) continue;
      const result = await call(channel, input);
      expect(result, `${channel} ${JSON.stringify(input)}`).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    }
  });

  it('refuses a sender from another origin, a navigated-away frame and a null frame', async () => {
    for (const frame of [{ url: 'https://evil.example/' }, { url: 'file:///tmp/page.html' }, null]) {
      const result = await call('profiles.list', {}, frame);
      expect(result).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
  });

  it('refuses before touching the core: an untrusted create leaves no profile behind', async () => {
    const refused = await call(
      'profiles.create',
      { name: 'Mallory', protection: { kind: 'passphrase', passphrase: 'long enough' } },
      { url: 'https://evil.example/' },
    );
    expect(refused.ok).toBe(false);
    expect(must(await call<ChannelOutput<'profiles.list'>>('profiles.list', {}))).toEqual([]);
  });

  it('answers with a Result even when the sender check itself throws', async () => {
    const fake = fakeIpcMain();
    registerIpc(fake.ipcMain, t.core, () => {
      throw new Error('frame disposed');
    });
    const handler = fake.handlers.get('profiles.list');
    await expect(handler?.({ senderFrame: APP_FRAME }, {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('round trip: create a profile, add a memory, list it, lock, and see LOCKED', async () => {
    const created = must(
      await call<ChannelOutput<'profiles.create'>>('profiles.create', {
        name: 'Ada',
        protection: { kind: 'passphrase', passphrase: 'correct horse battery' },
      }),
    );
    expect(created.recoveryKey).toMatch(/^([0-9A-F]{8}-){7}[0-9A-F]{8}$/);
    const profileId = created.profile.id;

    const memory = must(
      await call<ChannelOutput<'memories.create'>>('memories.create', {
        profileId,
        content: 'Likes green tea',
        tags: ['food'],
      }),
    );
    expect(memory).toMatchObject({ content: 'Likes green tea', tags: ['food'], origin: 'local' });

    const listed = must(await call<ChannelOutput<'memories.list'>>('memories.list', { profileId }));
    expect(listed.total).toBe(1);
    expect(listed.items.map((m) => m.id)).toEqual([memory.id]);

    must(await call('profiles.lock', { profileId }));
    expect(await call('memories.list', { profileId })).toMatchObject({ ok: false, error: { code: 'LOCKED' } });

    const wrong = await call('profiles.unlock', { profileId, credential: { kind: 'passphrase', passphrase: 'nope' } });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
    must(
      await call('profiles.unlock', {
        profileId,
        credential: { kind: 'passphrase', passphrase: 'correct horse battery' },
      }),
    );
    expect(must(await call<ChannelOutput<'memories.list'>>('memories.list', { profileId })).total).toBe(1);
  });

  it('accepts calls from the dev server when the sender check trusts it', async () => {
    const fake = fakeIpcMain();
    registerIpc(fake.ipcMain, t.core, (frame) => frame !== null && isTrustedUrl(frame.url, { devUrl: DEV_URL }));
    const handler = fake.handlers.get('profiles.list');
    await expect(handler?.({ senderFrame: { url: `${DEV_URL}/` } }, {})).resolves.toEqual({ ok: true, value: [] });
  });
});

describe('forwardEvents', () => {
  it('subscribes to every contract event and unsubscribes from all of them', () => {
    const live = new Set<string>();
    const core = {
      invoke: () => Promise.reject(new Error('not used')),
      on(event: string) {
        live.add(event);
        return () => live.delete(event);
      },
    } as unknown as CoreLike;
    const stop = forwardEvents(core, () => undefined);
    expect([...live].sort()).toEqual([...eventNames].sort());
    stop();
    expect(live.size).toBe(0);
  });

  let dir: ReturnType<typeof tempDir>;
  let t: TestCore;

  beforeEach(() => {
    dir = tempDir();
    t = makeCore(dir.path);
  });

  afterEach(async () => {
    await t.close();
    dir.remove();
  });

  it('sends every core push event to the window, until unsubscribed', async () => {
    const sent: Array<[string, unknown]> = [];
    const stop = forwardEvents(t.core, (event, payload) => sent.push([event, payload]));
    const created = must(
      await t.core.invoke('profiles.create', {
        name: 'Bo',
        protection: { kind: 'passphrase', passphrase: '12345678' },
      }),
    );
    must(await t.core.invoke('profiles.lock', { profileId: created.profile.id }));
    expect(sent).toEqual([
      ['profiles.changed', { profileId: created.profile.id, locked: false }],
      ['profiles.changed', { profileId: created.profile.id, locked: true }],
    ]);

    stop();
    must(
      await t.core.invoke('profiles.unlock', {
        profileId: created.profile.id,
        credential: { kind: 'passphrase', passphrase: '12345678' },
      }),
    );
    expect(sent).toHaveLength(2);
  });
});
