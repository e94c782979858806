// The Electron shell as wired in index.ts, run in Node against a fake `electron` module (Electron
// cannot start on these machines): every window security option, the custom protocol and its CSP,
// denied navigation, new windows, webviews and permissions, IPC refused to foreign frames, the single
// instance lock, the tray entry with the webhook listener's state, the crash handler, and a graceful
// shutdown that lets writes in flight finish. The core behind it is real (a temp data dir).
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/support/core';
import type { Result } from '../../shared/result';
import { CONTENT_SECURITY_POLICY } from './protocol';

type Fn = (...args: never[]) => unknown;

const fake = vi.hoisted(() => {
  const state = {
    lock: true,
    listeners: new Map<string, Fn[]>(),
    windows: [] as { options: Record<string, unknown>; win: Record<string, unknown> }[],
    handlers: new Map<string, (event: unknown, input?: unknown) => Promise<unknown>>(),
    trays: [] as { menu?: { template: unknown[] }; destroyed: boolean }[],
    appMenu: undefined as { template: unknown[] } | undefined,
    store: new Map<string, unknown>(),
    order: [] as string[],
  };
  const emit = (event: string, ...args: unknown[]) => {
    for (const fn of state.listeners.get(event) ?? []) (fn as (...a: unknown[]) => unknown)(...args);
  };
  const fn = <T extends Fn>(impl?: T) => vi.fn(impl);
  const app = {
    isPackaged: false,
    on(event: string, listener: Fn) {
      state.listeners.set(event, [...(state.listeners.get(event) ?? []), listener]);
      return app;
    },
    whenReady: () => Promise.resolve(),
    isReady: () => true,
    enableSandbox: fn(),
    requestSingleInstanceLock: fn(() => state.lock),
    quit: fn(),
    exit: fn((code: number) => void state.order.push(`exit ${code}`)),
  };
  class BrowserWindow {
    webContents = { send: fn() };
    minimized = true;
    once = fn();
    on = fn();
    loadURL = fn(() => Promise.resolve());
    isMinimized = fn(() => this.minimized);
    restore = fn();
    show = fn();
    focus = fn();
    constructor(options: Record<string, unknown>) {
      state.windows.push({ options, win: this as unknown as Record<string, unknown> });
    }
  }
  class Tray {
    menu?: { template: unknown[] };
    destroyed = false;
    setToolTip = fn();
    on = fn();
    constructor() {
      state.trays.push(this);
    }
    setContextMenu(menu: { template: unknown[] }) {
      this.menu = menu;
    }
    destroy() {
      this.destroyed = true;
    }
  }
  const module = {
    app,
    BrowserWindow,
    Tray,
    dialog: { showErrorBox: fn() },
    ipcMain: {
      handle: (channel: string, handler: (event: unknown, input?: unknown) => Promise<unknown>) =>
        void state.handlers.set(channel, handler),
      removeHandler: (channel: string) => void state.handlers.delete(channel),
    },
    Menu: {
      buildFromTemplate: (template: unknown[]) => ({ template }),
      setApplicationMenu: (menu: { template: unknown[] }) => void (state.appMenu = menu),
    },
    nativeImage: { createFromBitmap: fn(() => ({})) },
    protocol: { registerSchemesAsPrivileged: fn(), handle: fn() },
    safeStorage: {
      isAsyncEncryptionAvailable: () => Promise.resolve(false),
      getSelectedStorageBackend: () => 'basic_text',
      encryptStringAsync: () => Promise.reject(new Error('no keychain in tests')),
      decryptStringAsync: () => Promise.reject(new Error('no keychain in tests')),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: fn(),
        setPermissionCheckHandler: fn(),
        setDevicePermissionHandler: fn(),
      },
    },
  };
  return { state, emit, module };
});

vi.mock('electron', () => ({ ...fake.module, default: fake.module }));
vi.mock('electron-store', () => ({
  default: class {
    get = (key: string) => fake.state.store.get(key);
    set = (key: string, value: unknown) => void fake.state.store.set(key, value);
    delete = (key: string) => void fake.state.store.delete(key);
  },
}));

const { app, dialog, protocol, session, nativeImage } = fake.module;
const APP_FRAME = { senderFrame: { url: 'app://angel/index.html' } };
let dir: ReturnType<typeof tempDir>;
let crash: Record<string, (...args: unknown[]) => void>;

function reset() {
  vi.clearAllMocks();
  fake.state.lock = true;
  fake.state.listeners.clear();
  fake.state.windows.length = 0;
  fake.state.handlers.clear();
  fake.state.trays.length = 0;
  fake.state.appMenu = undefined;
  fake.state.store.clear();
  fake.state.order.length = 0;
}

/** Imports index.ts afresh (its top level is the app's start) and waits until it is up. */
async function launch() {
  vi.resetModules();
  await import('./index');
  if (fake.state.lock) await vi.waitFor(() => expect(trayLabel()).not.toMatch(/starting/));
}

function trayLabel(): string | undefined {
  const item = fake.state.trays[0]?.menu?.template[0] as { label?: string } | undefined;
  return item?.label;
}

async function quit() {
  fake.emit('will-quit', { preventDefault: vi.fn() });
  await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0));
}

const invoke = (channel: string, input: unknown, event: unknown = APP_FRAME) =>
  fake.state.handlers.get(channel)!(event, input) as Promise<Result<unknown>>;

beforeEach(() => {
  reset();
  dir = tempDir();
  vi.stubEnv('ANGEL_MEMORY_HOME', dir.path);
  vi.stubEnv('ELECTRON_RENDERER_URL', '');
  crash = {};
  const original = process.on.bind(process);
  vi.spyOn(process, 'on').mockImplementation(((event: string, listener: (...args: unknown[]) => void) => {
    if (event === 'uncaughtException' || event === 'unhandledRejection') {
      crash[event] = listener;
      return process;
    }
    return original(event as never, listener);
  }) as typeof process.on);
  fake.state.store.set('webhook.port', 0);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  dir.remove();
});

describe('the window', () => {
  it('is created with every security option, on the app:// origin', async () => {
    await launch();
    expect(fake.state.windows).toHaveLength(1);
    const { options, win } = fake.state.windows[0]!;
    const prefs = options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    });
    expect(prefs.preload).toMatch(/preload[/\\]index\.cjs$/);
    expect(win.loadURL).toHaveBeenCalledWith('app://angel/index.html');
    expect(app.enableSandbox).toHaveBeenCalled();
    await quit();
  });

  it('serves the renderer from a privileged custom scheme with a strict CSP', async () => {
    await launch();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    const [scheme, handler] = protocol.handle.mock.calls[0] as unknown as [string, (r: Request) => Promise<Response>];
    expect(scheme).toBe('app');
    expect((await handler(new Request('app://angel/../../etc/passwd'))).status).toBe(404);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(CONTENT_SECURITY_POLICY).toContain(directive);
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*/);
    // The page carries the same policy in a meta tag (frame-ancestors is header-only).
    const html = readFileSync(join(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", ''));
    await quit();
  });

  it('denies new windows, foreign navigation, redirects and webviews on every web contents', async () => {
    await launch();
    const on = new Map<string, (event: { url?: string; preventDefault(): void }) => void>();
    let openHandler: ((details: { url: string }) => unknown) | undefined;
    const contents = {
      setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h),
      on: (event: string, listener: (event: { url?: string; preventDefault(): void }) => void) =>
        on.set(event, listener),
    };
    fake.emit('web-contents-created', {}, contents);
    expect(openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'app://angel/index.html' })).toEqual({ action: 'deny' });
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const foreign = { url: 'https://example.com/', preventDefault: vi.fn() };
      on.get(event)!(foreign);
      expect(foreign.preventDefault, event).toHaveBeenCalled();
      const file = { url: 'file:///etc/passwd', preventDefault: vi.fn() };
      on.get(event)!(file);
      expect(file.preventDefault, event).toHaveBeenCalled();
      const ours = { url: 'app://angel/index.html', preventDefault: vi.fn() };
      on.get(event)!(ours);
      expect(ours.preventDefault, event).not.toHaveBeenCalled();
    }
    const webview = { preventDefault: vi.fn() };
    on.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    await quit();
  });

  it('denies every permission request and check', async () => {
    await launch();
    const s = session.defaultSession;
    const request = s.setPermissionRequestHandler.mock.calls[0]![0] as unknown as (
      c: unknown,
      p: string,
      cb: (granted: boolean) => void,
    ) => void;
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      request({}, permission, callback);
      expect(callback, permission).toHaveBeenCalledWith(false);
    }
    const check = s.setPermissionCheckHandler.mock.calls[0]![0] as unknown as (...a: unknown[]) => boolean;
    expect(check({}, 'media', 'app://angel')).toBe(false);
    const device = s.setDevicePermissionHandler.mock.calls[0]![0] as unknown as (...a: unknown[]) => boolean;
    expect(device({})).toBe(false);
    await quit();
  });
});

describe('IPC', () => {
  it('answers our frame and refuses a foreign or missing sender frame', async () => {
    await launch();
    await expect(invoke('profiles.list', {})).resolves.toEqual({ ok: true, value: [] });
    for (const senderFrame of [{ url: 'https://example.com/' }, { url: 'file:///tmp/x.html' }, null]) {
      await expect(invoke('profiles.list', {}, { senderFrame })).resolves.toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    await quit();
  });
});

describe('lifecycle', () => {
  it('quits at once when another instance holds the lock', async () => {
    fake.state.lock = false;
    await launch();
    expect(app.quit).toHaveBeenCalled();
    expect(fake.state.windows).toHaveLength(0);
    expect(fake.state.listeners.has('second-instance')).toBe(false);
  });

  it('focuses the existing window on a second launch', async () => {
    await launch();
    const { win } = fake.state.windows[0]!;
    fake.emit('second-instance');
    expect(win.restore).toHaveBeenCalled();
    expect(win.focus).toHaveBeenCalled();
    expect(fake.state.windows).toHaveLength(1);
    await quit();
  });

  it('shows the webhook listener state in the tray and the app menu', async () => {
    await launch();
    expect(trayLabel()).toMatch(/^Webhook listener: listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(nativeImage.createFromBitmap).toHaveBeenCalled();
    const appMenu = fake.state.appMenu!.template[0] as { submenu: { label?: string }[] };
    expect(appMenu.submenu[0]!.label).toBe(trayLabel());
    const url = trayLabel()!.split(' ').at(-1)!;
    const health = await new Promise<number>((resolve, reject) =>
      request(`${url}/healthz`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end(),
    );
    expect(health).toBe(200);
    await quit();
    expect(fake.state.trays[0]!.destroyed).toBe(true);
    // The listener is closed on quit.
    await expect(
      new Promise((resolve, reject) => request(`${url}/healthz`, resolve).on('error', reject).end()),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('says so in the tray when the webhook port is taken', async () => {
    const blocker: Server = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as AddressInfo;
    fake.state.store.set('webhook.port', port);
    try {
      await launch();
      expect(trayLabel()).toBe(`Webhook listener: not running (port ${port} is in use)`);
      expect(fake.state.windows).toHaveLength(1);
      await quit();
    } finally {
      blocker.close();
    }
  });

  it('logs an uncaught error and shows one dialog', async () => {
    await launch();
    crash.uncaughtException!(new Error('disk on fire'), 'uncaughtException');
    crash.unhandledRejection!(new Error('again'));
    expect(dialog.showErrorBox).toHaveBeenCalledTimes(1);
    expect(dialog.showErrorBox).toHaveBeenCalledWith(
      'Angel Memory hit an unexpected error',
      expect.stringContaining('disk on fire'),
    );
    await quit();
    const { readdirSync, readFileSync } = await import('node:fs');
    const logDir = `${dir.path}/logs`;
    const text = readdirSync(logDir)
      .map((f) => readFileSync(`${logDir}/${f}`, 'utf8'))
      .join('');
    expect(text).toContain('disk on fire');
    expect(text).toContain('again');
  });

  it('lets a write in flight finish before the vault closes and the process exits', async () => {
    await launch();
    // Creating a profile derives a key with scrypt: still running when the quit begins.
    const created = invoke('profiles.create', {
      name: 'Ada',
      protection: { kind: 'passphrase', passphrase: 'long enough' },
    });
    void created.then(() => fake.state.order.push('created'));
    const event = { preventDefault: vi.fn() };
    fake.emit('will-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    await expect(invoke('profiles.list', {})).resolves.toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    await vi.waitFor(() => expect(app.exit).toHaveBeenCalledWith(0));
    expect(await created).toMatchObject({ ok: true, value: { profile: { name: 'Ada' } } });
    expect(fake.state.order).toEqual(['created', 'exit 0']);
    // A second will-quit (from app.exit) is not intercepted again.
    const again = { preventDefault: vi.fn() };
    fake.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });
});
