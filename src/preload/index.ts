// The sandboxed preload: exposes the IPC contract's verbs and events as `window.angel`, nothing else.
// Channel and event names are checked against the contract here too, so the page cannot use the
// bridge to reach any other ipcMain listener. The IpcRendererEvent (which carries `sender`) is never
// handed to the page, only the payload.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { channelNames, eventNames } from '../shared/ipc/contract';
import type { AngelApi } from './api';

const channels = new Set<string>(channelNames);
const events = new Set<string>(eventNames);

const api: AngelApi = {
  invoke(channel, input) {
    if (typeof channel !== 'string' || !channels.has(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'BAD_INPUT', message: `unknown channel "${String(channel)}"` },
      });
    }
    return ipcRenderer.invoke(channel, input);
  },

  on(event, listener) {
    if (typeof event !== 'string' || !events.has(event)) throw new Error(`unknown event "${String(event)}"`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload as Parameters<typeof listener>[0]);
    ipcRenderer.on(event, forward);
    return () => {
      ipcRenderer.removeListener(event, forward);
    };
  },
};

contextBridge.exposeInMainWorld('angel', api);
