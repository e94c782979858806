// The Electron shell: lifecycle, the one window, the tray, and the adapters that hand Electron's
// services to the core (safeStorage as the KeyStore, electron-store as the SettingsStore). Everything
// that owns data is in the core; the policies are plain functions in shell.ts, ipc.ts, protocol.ts,
// keychain.ts and settings-store.ts, and index.test.ts runs this file against a fake `electron`.
// Security posture: sandboxed, context-isolated renderer on its own app:// origin with a strict CSP,
// no navigation or new windows, no permissions, IPC answered only for our own frames.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, protocol, safeStorage, session, Tray } from 'electron';
import ElectronStore from 'electron-store';
import { createCore } from '../core';
import { defaultDataDir } from '../core/data-dir';
import { systemClock } from '../core/ports';
import { DEFAULT_WEBHOOK_PORT } from '../core/profile-settings';
import { createFileLogger, type LogSink } from '../logging';
import { createWebhookListener, type WebhookListener } from '../webhook/listener';
import { forwardEvents, isTrustedUrl, registerIpc } from './ipc';
import { createKeychain } from './keychain';
import { APP_ENTRY, APP_SCHEME, createAppFileHandler } from './protocol';
import { createSettingsStore, electronStoreOptions } from './settings-store';
import {
  denyPermissions,
  hardenContents,
  installCrashHandler,
  shellMenu,
  trackInFlight,
  trayBitmap,
  webhookFailure,
  windowOptions,
  type WebhookState,
} from './shell';

/** The app-level preference for the desktop listener's port (the CLI's `serve` uses the profile's). */
export const WEBHOOK_PORT_PREFERENCE = 'webhook.port';

// The dev server URL is honoured only in an unpackaged build: in a shipped app a stray environment
// variable must not be able to load, and be trusted as, another page.
const devUrl = (!app.isPackaged && process.env.ELECTRON_RENDERER_URL) || undefined;
const trusted = (url: string) => isTrustedUrl(url, { devUrl });

// Until the log file is open, errors go to stderr; start() swaps in the file logger.
let logError: (err: unknown, origin: string) => void = (err, origin) => console.error(origin, err);
installCrashHandler(process, {
  log: (err, origin) => logError(err, origin),
  showErrorBox: (title, content) => dialog.showErrorBox(title, content),
});

// Must happen before 'ready'. standard + secure: a real origin, CSP 'self', fetch and storage work.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(windowOptions(join(import.meta.dirname, '../preload/index.cjs')));
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(devUrl ?? APP_ENTRY);
  return win;
}

function showWindow(): void {
  mainWindow ??= createWindow();
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

// Every web contents (the window and anything it might spawn).
app.on('web-contents-created', (_event, contents) => {
  hardenContents(contents, trusted);
});

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = defaultDataDir();
  const logs: LogSink = createFileLogger({ dir: join(dataDir, 'logs') });
  const log = logs.logger.child({ module: 'app' });
  logError = (err, origin) => log.error({ err, origin }, 'uncaught error');
  const settings = createSettingsStore(new ElectronStore(electronStoreOptions(dataDir)));
  const core = createCore({
    dataDir,
    keyStore: createKeychain(safeStorage),
    settings,
    clock: systemClock,
    logger: logs.logger,
    redactor: logs.redactor,
  });
  // Base-URL overrides for OMI, Gemini and Ollama (ANGEL_MEMORY_*_URL), as for the CLI.
  core.sync.configure({ env: process.env });
  core.search.configure({ env: process.env });
  // WAL checkpoints off the event loop, as in `serve`.
  core.checkpointInBackground(true);
  const tracked = trackInFlight(core);

  denyPermissions(session.defaultSession);
  protocol.handle(APP_SCHEME, createAppFileHandler(join(import.meta.dirname, '../renderer')));
  registerIpc(ipcMain, tracked, (frame) => frame !== null && trusted(frame.url));
  forwardEvents(core, (event, payload) => mainWindow?.webContents.send(event, payload));

  // The tray (and the application menu) show whether OMI can reach us.
  const tray = new Tray(nativeImage.createFromBitmap(trayBitmap(), { width: 32, height: 32 }));
  tray.setToolTip('Angel Memory');
  const showState = (state: WebhookState) => {
    const template = shellMenu(state, { show: showWindow, quit: () => app.quit() });
    tray.setContextMenu(Menu.buildFromTemplate(template));
    Menu.setApplicationMenu(
      Menu.buildFromTemplate([
        { label: 'Angel Memory', submenu: template },
        { role: 'editMenu' },
        { role: 'windowMenu' },
      ]),
    );
  };
  tray.on('click', showWindow);

  // The webhook listener routes by secret, so it runs while profiles are locked (deliveries are
  // sealed to the spool until unlock).
  const configured = settings.get(WEBHOOK_PORT_PREFERENCE);
  const port = typeof configured === 'number' ? configured : DEFAULT_WEBHOOK_PORT;
  showState({ kind: 'starting', port });
  let listener: WebhookListener | null = null;
  try {
    listener = await createWebhookListener({
      port,
      route: (secret) => core.webhook.route(secret),
      allowedHosts: () => core.webhook.allowedHosts(),
      now: () => new Date(),
      logger: logs.logger,
    });
    core.setListenerPort(listener.port);
    showState({ kind: 'listening', url: listener.url });
  } catch (err) {
    log.warn({ err, port }, 'webhook listener did not start');
    showState({ kind: 'failed', port, reason: webhookFailure(err, port) });
  }

  // An unlocked profile syncs with OMI (when it has an API key) and is backed up when due; locking
  // stops its sync (the core does that) and the scheduler skips it.
  core.on('profiles.changed', ({ profileId, locked }) => {
    if (locked) return;
    core.sync.start(profileId);
    // Background embedding through the outbox; the core stops it with the lock.
    core.search.relay.start(profileId);
  });
  const backups = core.archive.startScheduler({
    setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
    clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
    profiles: () => core.vault.list().flatMap((p) => (p.locked ? [] : [p.id])),
  });

  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('render-process-gone', (_event, _contents, details) => log.error({ details }, 'renderer gone'));

  // Graceful shutdown: stop accepting deliveries and UI calls, let those in flight commit, then close
  // every vault (locks them, flushes the WAL) and the log file before the process goes.
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    log.info('quitting');
    void (async () => {
      // A backup in progress finishes too, before the vault closes.
      await Promise.allSettled([backups.stop(), listener?.close(), tracked.drain()]);
      try {
        core.close();
      } catch (err) {
        log.error({ err }, 'closing the core failed');
      }
      tray.destroy();
      await logs.close();
    })().finally(() => app.exit(0));
  });

  mainWindow = createWindow();
  log.info({ dataDir, dev: Boolean(devUrl) }, 'app started');
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // A second launch focuses this one (registered before 'ready' so an early second launch counts).
  app.on('second-instance', () => {
    if (app.isReady()) showWindow();
  });
  start().catch((err: unknown) => {
    logError(err, 'start');
    dialog.showErrorBox('Angel Memory could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });
}
