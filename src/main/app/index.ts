// The Electron shell: lifecycle, the one window, and the adapters that hand Electron's services to
// the core (safeStorage as the KeyStore, electron-store as the SettingsStore). Everything that owns
// data is in the core; everything testable without Electron is in ipc.ts, protocol.ts, keychain.ts
// and settings-store.ts. Security posture: sandboxed, context-isolated renderer on its own app://
// origin, no navigation or new windows, no permissions, IPC answered only for our own frames.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, safeStorage, session } from 'electron';
import ElectronStore from 'electron-store';
import { createCore, type Core } from '../core';
import { defaultDataDir } from '../core/data-dir';
import { systemClock } from '../core/ports';
import { createFileLogger, type LogSink } from '../logging';
import { forwardEvents, isTrustedUrl, registerIpc } from './ipc';
import { createKeychain } from './keychain';
import { APP_ENTRY, APP_SCHEME, createAppFileHandler } from './protocol';
import { createSettingsStore, electronStoreOptions } from './settings-store';

// The dev server URL is honoured only in an unpackaged build: in a shipped app a stray environment
// variable must not be able to load, and be trusted as, another page.
const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const trusted = (url: string) => isTrustedUrl(url, { devUrl });

// Must happen before 'ready'. standard + secure: a real origin, CSP 'self', fetch and storage work.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Angel Memory',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      // Chromium's spellchecker downloads dictionaries from Google's CDN; nothing leaves the machine
      // unless the user turns it on.
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(devUrl ?? APP_ENTRY);
  return win;
}

// Every web contents (the window and anything it might spawn): no new windows, no navigation away
// from our origin, no <webview>.
app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!trusted(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!trusted(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = defaultDataDir();
  const logs: LogSink = createFileLogger({ dir: join(dataDir, 'logs') });
  const log = logs.logger.child({ module: 'app' });
  const core: Core = createCore({
    dataDir,
    keyStore: createKeychain(safeStorage, {
      onShouldReEncrypt: () => log.warn('safeStorage asked for a vault key to be re-encrypted'),
    }),
    settings: createSettingsStore(new ElectronStore(electronStoreOptions(dataDir))),
    clock: systemClock,
    logger: logs.logger,
    redactor: logs.redactor,
  });

  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, createAppFileHandler(join(import.meta.dirname, '../renderer')));

  registerIpc(ipcMain, core, (frame) => frame !== null && trusted(frame.url));
  forwardEvents(core, (event, payload) => mainWindow?.webContents.send(event, payload));

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('activate', () => {
    mainWindow ??= createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('render-process-gone', (_event, _contents, details) => log.error({ details }, 'renderer gone'));

  // Close every vault (locks them, flushes the WAL) and the log file before the process goes.
  let closing = false;
  app.on('will-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    log.info('quitting');
    try {
      core.close();
    } catch (err) {
      log.error({ err }, 'closing the core failed');
    }
    void logs.close().finally(() => app.exit(0));
  });

  mainWindow = createWindow();
  log.info({ dataDir, dev: Boolean(devUrl) }, 'app started');
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  start().catch((err: unknown) => {
    console.error('Angel Memory failed to start', err);
    dialog.showErrorBox('Angel Memory could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });
}
