// Transport selection and the event-stream parser. The HTTP transport against the real server is
// tested in src/main/server/ui.test.ts.
import { describe, expect, it, vi } from 'vitest';
import type { AngelApi } from '../../preload/api';
import { httpTransport, parseEventFrames, selectTransport, type TransportEnv } from './transport';

function env(hash: string, extra: Partial<TransportEnv> = {}) {
  const store = new Map<string, string>();
  const replaceState = vi.fn();
  const fetch = vi.fn(() =>
    Promise.resolve(new Response(JSON.stringify({ ok: true, value: [] }), { status: 200 })),
  ) as unknown as typeof globalThis.fetch;
  return {
    store,
    replaceState,
    fetch,
    env: {
      location: { hash, origin: 'http://127.0.0.1:8788', pathname: '/', search: '' },
      sessionStorage: {
        getItem: (k: string) => store.get(k) ?? null,
        setItem: (k: string, v: string) => store.set(k, v),
      },
      history: { replaceState },
      fetch,
      ...extra,
    } satisfies TransportEnv,
  };
}

describe('selectTransport', () => {
  it('uses the Electron bridge when there is no token', () => {
    const angel = { invoke: vi.fn(), on: vi.fn() } as unknown as AngelApi;
    expect(selectTransport(env('', { angel }).env)).toBe(angel);
    expect(selectTransport(env('').env)).toBeUndefined();
  });

  it('uses HTTP with the token from the fragment, and moves the token out of the address bar', async () => {
    const e = env('#token=abc');
    const transport = selectTransport(e.env);
    expect(transport).toBeDefined();
    expect(e.replaceState).toHaveBeenCalledWith(null, '', '/');
    expect(e.store.get('angel-memory.token')).toBe('abc');
    await expect(transport!.invoke('profiles.list', {})).resolves.toEqual({ ok: true, value: [] });
    expect(e.fetch).toHaveBeenCalledWith(
      'http://127.0.0.1:8788/rpc/profiles.list',
      expect.objectContaining({
        method: 'POST',
        headers: { authorization: 'Bearer abc', 'content-type': 'application/json' },
        body: '{}',
      }),
    );
  });

  it('keeps using HTTP after a reload (token from session storage)', async () => {
    const e = env('');
    e.store.set('angel-memory.token', 'kept');
    const transport = selectTransport(e.env);
    await transport!.invoke('profiles.list', {});
    expect(e.fetch).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ headers: expect.objectContaining({ authorization: 'Bearer kept' }) as unknown }),
    );
  });
});

describe('httpTransport', () => {
  it('turns a transport failure without a Result body into a failed Result', async () => {
    const fetch = vi.fn(() =>
      Promise.resolve(new Response('nope', { status: 401 })),
    ) as unknown as typeof globalThis.fetch;
    const t = httpTransport({ origin: 'http://x', token: 't', fetch });
    await expect(t.invoke('profiles.list', {})).resolves.toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const down = httpTransport({ origin: 'http://x', token: 't', fetch: () => Promise.reject(new TypeError('x')) });
    await expect(down.invoke('profiles.list', {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
  });
});

describe('parseEventFrames', () => {
  it('parses complete frames, skips comments and keeps the unfinished rest', () => {
    const { frames, rest } = parseEventFrames(
      ': connected\n\nevent: profiles.changed\ndata: {"a":1}\n\n: ping\n\nevent: x\r\ndata: 1\r\n\r\nevent: y\ndata: {',
    );
    expect(frames).toEqual([
      { event: 'profiles.changed', data: '{"a":1}' },
      { event: 'x', data: '1' },
    ]);
    expect(rest).toBe('event: y\ndata: {');
  });
});
