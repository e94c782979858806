// The renderer's client over a fake bridge: Results are unwrapped, failures become typed errors with
// readable messages, and a missing bridge is reported rather than crashing on `undefined`.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AngelApi } from '../../preload/api';
import { ApiError, call, describeError, setTransport, subscribe } from './client';

function stubBridge(api: Partial<AngelApi>) {
  vi.stubGlobal('window', { angel: api });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('client', () => {
  it('returns the value of an ok Result', async () => {
    const invoke = vi.fn(() => Promise.resolve({ ok: true, value: [] }));
    stubBridge({ invoke } as unknown as Partial<AngelApi>);
    await expect(call('profiles.list', {})).resolves.toEqual([]);
    expect(invoke).toHaveBeenCalledWith('profiles.list', {});
  });

  it('throws an ApiError carrying the code of a failed Result', async () => {
    const invoke = () => Promise.resolve({ ok: false, error: { code: 'WRONG_KEY', message: 'wrong passphrase' } });
    stubBridge({ invoke } as unknown as Partial<AngelApi>);
    const err: unknown = await call('profiles.unlock', {
      profileId: 'p',
      credential: { kind: 'passphrase', passphrase: 'x' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'WRONG_KEY' });
    expect(describeError(err)).toBe('Wrong passphrase');
    expect(describeError(err, { WRONG_KEY: 'Wrong recovery key' })).toBe('Wrong recovery key');
  });

  it('uses the main process message where it is written for people', () => {
    expect(describeError(new ApiError('CONFLICT', 'a profile named "Ada" already exists'))).toBe(
      'A profile named "Ada" already exists',
    );
    expect(describeError(new ApiError('INTERNAL', 'sqlite said something'))).toBe(
      'Something went wrong. The details are in the log.',
    );
    expect(describeError(new Error('boom'))).toBe('Something went wrong. The details are in the log.');
  });

  it('uses the transport chosen at start-up instead of window.angel', async () => {
    const ipc = vi.fn();
    stubBridge({ invoke: ipc });
    const invoke = vi.fn(() => Promise.resolve({ ok: true, value: ['over http'] }));
    setTransport({ invoke, on: vi.fn() } as unknown as AngelApi);
    try {
      await expect(call('profiles.list', {})).resolves.toEqual(['over http']);
      expect(ipc).not.toHaveBeenCalled();
    } finally {
      setTransport(undefined);
    }
  });

  it('reports a missing bridge as an ApiError', async () => {
    vi.stubGlobal('window', {});
    await expect(call('profiles.list', {})).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('subscribes through the bridge and returns its unsubscriber', () => {
    const off = vi.fn();
    const on = vi.fn(() => off);
    stubBridge({ on });
    const listener = vi.fn();
    const unsubscribe = subscribe('profiles.changed', listener);
    expect(on).toHaveBeenCalledWith('profiles.changed', listener);
    unsubscribe();
    expect(off).toHaveBeenCalled();
  });
});
