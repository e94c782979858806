// ipcMain wiring: one handler per contract channel (looping over the contract, so a new channel is
// served without touching this file) and the core's push events forwarded to the window. The core
// validates input and never throws; this layer adds the sender check of DESIGN §9. Nothing here comes
// from 'electron' (Electron's ipcMain fits IpcMainLike), so it runs in Node tests with a fake ipcMain.
import { channelNames, eventNames, type EventName, type EventPayload } from '../../shared/ipc/contract';
import type { Result } from '../../shared/result';
import type { Core } from '../core';
import { APP_HOST, APP_SCHEME } from './protocol';

/** What a handler needs to know about the frame that called: its current URL. */
export interface SenderFrame {
  readonly url: string;
}

/** The part of Electron's IpcMainInvokeEvent used here. */
export interface InvokeEvent {
  readonly senderFrame: SenderFrame | null;
}
export type InvokeListener = (event: InvokeEvent, input?: unknown) => Promise<Result<unknown>>;

/** The part of Electron's ipcMain used here; Electron's own object satisfies it. */
export interface IpcMainLike {
  handle(channel: string, listener: InvokeListener): void;
  removeHandler(channel: string): void;
}

export type CoreLike = Pick<Core, 'invoke' | 'on'>;

/**
 * Our pages: app://angel/... in production, the electron-vite dev server's origin in development.
 * Anything else (a navigated-away frame, an injected iframe, file://) is refused.
 */
export function isTrustedUrl(url: string, options: { devUrl?: string | undefined }): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // app: is not a "special" WHATWG scheme, so URL.origin is "null"; compare the parts instead.
  if (parsed.protocol === `${APP_SCHEME}:`) {
    return parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
  }
  if (!options.devUrl) return false;
  let dev: URL;
  try {
    dev = new URL(options.devUrl);
  } catch {
    return false;
  }
  return (dev.protocol === 'http:' || dev.protocol === 'https:') && parsed.origin === dev.origin;
}

const denied: Result<never> = {
  ok: false,
  error: { code: 'FORBIDDEN', message: 'request refused: it did not come from the Angel Memory window' },
};

/**
 * Registers a handler for every contract channel. Returns a function that removes them all.
 * Handlers resolve to a Result in every case; nothing is thrown back into the renderer.
 */
export function registerIpc(
  ipcMain: IpcMainLike,
  core: CoreLike,
  isTrustedSender: (frame: SenderFrame | null) => boolean,
): () => void {
  for (const channel of channelNames) {
    ipcMain.handle(channel, async (event, input) => {
      let trusted: boolean;
      try {
        // senderFrame is null once the frame navigated away or was destroyed.
        trusted = isTrustedSender(event.senderFrame);
      } catch {
        trusted = false;
      }
      if (!trusted) return denied;
      return core.invoke(channel, input, 'user');
    });
  }
  return () => {
    for (const channel of channelNames) ipcMain.removeHandler(channel);
  };
}

export type Send = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

/** Forwards every core push event to `send` (the window's webContents). Returns the unsubscriber. */
export function forwardEvents(core: CoreLike, send: Send): () => void {
  const offs = eventNames.map((event) => core.on(event, (payload) => send(event, payload)));
  return () => {
    for (const off of offs) off();
  };
}
