// The Electron shell's policies as plain functions over the few Electron objects they touch (typed
// structurally, so Node tests pass fakes): the window's options, what any web contents may do, the
// permission answer, the tray/menu entry for the webhook listener, the uncaught-error handler, and
// the bookkeeping that lets a quit wait for writes in flight. index.ts wires them to Electron.
import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions } from 'electron';
import type { CoreLike } from './ipc';

/** Every window this app opens. Each security option is spelled out, even where it is the default. */
export function windowOptions(preload: string): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Angel Memory',
    webPreferences: {
      preload,
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
      // Chromium's spellchecker downloads dictionaries from Google's CDN; nothing leaves the machine
      // unless the user turns it on.
      spellcheck: false,
    },
  };
}

/** The events of a WebContents this file listens to. */
export interface ContentsLike {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(
    event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate',
    listener: (event: { url: string; preventDefault(): void }) => void,
  ): void;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): void;
}

/** No new windows, no navigation away from our origin, no <webview>: for every web contents. */
export function hardenContents(contents: ContentsLike, trusted: (url: string) => boolean): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const stayHome = (event: { url: string; preventDefault(): void }) => {
    if (!trusted(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-frame-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The part of Electron's Session used here. */
export interface SessionLike {
  setPermissionRequestHandler(
    handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void;
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void;
  setDevicePermissionHandler?(handler: (...args: unknown[]) => boolean): void;
}

/** The app needs no camera, microphone, notifications, geolocation, HID or USB: every request is no. */
export function denyPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler?.(() => false);
}

export type WebhookState =
  | { kind: 'starting'; port: number }
  | { kind: 'listening'; url: string }
  | { kind: 'failed'; port: number; reason: string };

export function describeWebhook(state: WebhookState): string {
  switch (state.kind) {
    case 'starting':
      return `Webhook listener: starting on port ${state.port}`;
    case 'listening':
      return `Webhook listener: listening on ${state.url}`;
    case 'failed':
      return `Webhook listener: not running (${state.reason})`;
  }
}

/** Why a listener could not start, in words for the menu. */
export function webhookFailure(err: unknown, port: number): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return `port ${port} is in use`;
  if (code === 'EACCES') return `port ${port} is not allowed`;
  return err instanceof Error ? err.message : String(err);
}

/** The tray's menu and the application menu's first submenu: the listener's state, show, quit. */
export function shellMenu(state: WebhookState, actions: { show(): void; quit(): void }): MenuItemConstructorOptions[] {
  return [
    { id: 'webhook-state', label: describeWebhook(state), enabled: false },
    { type: 'separator' },
    { id: 'show', label: 'Show Angel Memory', click: () => actions.show() },
    { id: 'quit', label: 'Quit Angel Memory', click: () => actions.quit() },
  ];
}

/** A 32×32 BGRA tray icon drawn in code (a gold ring on navy), so no image file has to ship. */
export function trayBitmap(size = 32): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c) / (size / 2);
      const i = (y * size + x) * 4;
      const gold = d < 0.3 || (d > 0.55 && d < 0.75);
      const inside = d <= 1;
      // BGRA
      pixels[i] = gold ? 0x69 : 0x44;
      pixels[i + 1] = gold ? 0xc9 : 0x2a;
      pixels[i + 2] = gold ? 0xf3 : 0x1f;
      pixels[i + 3] = inside ? 0xff : 0;
    }
  }
  return pixels;
}

export interface ErrorReporter {
  log(err: unknown, origin: string): void;
  showErrorBox(title: string, content: string): void;
}

/**
 * The one crash handler: an uncaught exception or unhandled rejection in main is logged and shown
 * once in a dialog (repeats are logged only, so a failing loop cannot stack dialogs).
 */
export function installCrashHandler(
  proc: Pick<NodeJS.Process, 'on'>,
  reporter: ErrorReporter,
): (err: unknown, origin: string) => void {
  let shown = false;
  const handle = (err: unknown, origin: string) => {
    try {
      reporter.log(err, origin);
    } catch {
      // Logging must not turn one failure into a crash loop.
    }
    if (shown) return;
    shown = true;
    const message = err instanceof Error ? err.message : String(err);
    reporter.showErrorBox(
      'Angel Memory hit an unexpected error',
      `${message}\n\nThe details are in the log. Your data is safe; restart the app if something looks wrong.`,
    );
  };
  proc.on('uncaughtException', (err, origin) => handle(err, origin));
  proc.on('unhandledRejection', (reason) => handle(reason, 'unhandledRejection'));
  return handle;
}

/**
 * Wraps the core so a quit can wait for the calls in flight (a write answered to the renderer is on
 * disk before the vault closes), and refuses new calls once shutdown has begun.
 */
export function trackInFlight(core: CoreLike): CoreLike & { drain(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  let closing = false;
  return {
    on: (event, fn) => core.on(event, fn),
    invoke(channel, input, actor) {
      if (closing)
        return Promise.resolve({ ok: false, error: { code: 'UNAVAILABLE', message: 'Angel Memory is shutting down' } });
      const call = core.invoke(channel, input, actor);
      pending.add(call);
      void call.finally(() => pending.delete(call));
      return call;
    },
    async drain() {
      closing = true;
      await Promise.allSettled([...pending]);
    },
  };
}
