// The preload against a fake `electron`: it exposes exactly one object, `angel`, with exactly the
// contract's two verbs; every contract channel and event passes through, nothing else does, and the
// page never receives the IpcRendererEvent (which carries `sender`).
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { channelNames, eventNames } from '../shared/ipc/contract';
import type { AngelApi } from './api';

const fake = vi.hoisted(() => ({
  exposeInMainWorld: vi.fn(),
  invoke: vi.fn((..._args: unknown[]) => Promise.resolve({ ok: true, value: 'answer' })),
  on: vi.fn(),
  removeListener: vi.fn(),
}));
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: fake.exposeInMainWorld },
  ipcRenderer: { invoke: fake.invoke, on: fake.on, removeListener: fake.removeListener },
}));

let api: AngelApi;
let exposed: unknown[][];

beforeAll(async () => {
  await import('./index');
  exposed = [...fake.exposeInMainWorld.mock.calls];
  api = exposed[0]![1] as AngelApi;
});

describe('preload', () => {
  it('exposes one object with nothing but invoke and on', () => {
    expect(exposed).toHaveLength(1);
    expect(exposed[0]![0]).toBe('angel');
    expect(Reflect.ownKeys(api).sort()).toEqual(['invoke', 'on']);
    expect(Object.getPrototypeOf(api)).toBe(Object.prototype);
    expect(typeof api.invoke).toBe('function');
    expect(typeof api.on).toBe('function');
    for (const value of Object.values(api)) expect(value).not.toBe(fake.invoke);
  });

  it('forwards every contract channel, and only those', async () => {
    for (const channel of channelNames) {
      fake.invoke.mockClear();
      await expect(api.invoke(channel, { profileId: 'p' })).resolves.toEqual({ ok: true, value: 'answer' });
      expect(fake.invoke).toHaveBeenCalledWith(channel, { profileId: 'p' });
    }
    fake.invoke.mockClear();
    for (const channel of ['secrets.dump', 'constructor', '__proto__', 'ELECTRON_BROWSER_REQUIRE', 42, null]) {
      await expect(api.invoke(channel as never, {} as never)).resolves.toMatchObject({
        ok: false,
        error: { code: 'BAD_INPUT' },
      });
    }
    expect(fake.invoke).not.toHaveBeenCalled();
  });

  it('subscribes to contract events only, hands the page the payload alone, and unsubscribes', () => {
    for (const event of eventNames) {
      fake.on.mockClear();
      const listener = vi.fn();
      const off = api.on(event, listener);
      const [name, forward] = fake.on.mock.calls[0] as [string, (e: unknown, p: unknown) => void];
      expect(name).toBe(event);
      forward({ sender: 'the ipc event' }, { profileId: 'p' });
      expect(listener).toHaveBeenCalledWith({ profileId: 'p' });
      expect(listener.mock.calls[0]).toHaveLength(1);
      off();
      expect(fake.removeListener).toHaveBeenCalledWith(event, forward);
    }
    fake.on.mockClear();
    expect(() => api.on('ipc-message' as never, vi.fn())).toThrow(/unknown event/);
    expect(() => api.on(eventNames[0]!, 'not a function' as never)).toThrow(TypeError);
    expect(fake.on).not.toHaveBeenCalled();
  });
});
