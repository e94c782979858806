// The two ways the renderer reaches the core, both shaped as the preload's AngelApi so client.ts (and
// so every component) cannot tell them apart:
//   - Electron: `window.angel`, the contract-only bridge the preload exposes over IPC;
//   - headless (`angel-memory serve`): the same contract over HTTP, `POST /rpc/<channel>` with the
//     run's bearer token, and push events from `GET /events` (server-sent events read with fetch,
//     because EventSource cannot send an Authorization header).
// Which one is chosen once at start-up: a token in the URL fragment means the headless server.
import type { AngelApi } from '../../preload/api';
import type { Channel, ChannelInput, ChannelOutput } from '../../shared/ipc/contract';
import type { ErrorCode, Result } from '../../shared/result';

const TOKEN_KEY = 'angel-memory.token';
const RECONNECT_MS = [500, 1_000, 2_000, 5_000];

type Listener = (payload: unknown) => void;

export interface HttpTransportOptions {
  /** The server's origin, e.g. http://127.0.0.1:8788. */
  origin: string;
  token: string;
  fetch?: typeof fetch;
  /** Waits before reconnecting the event stream; injectable so tests need no timers. */
  wait?: (ms: number) => Promise<void>;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

function isResult(value: unknown): value is Result<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { ok?: unknown }).ok === 'boolean';
}

/** Splits a server-sent event stream into `{event, data}` frames; returns the unfinished rest. */
export function parseEventFrames(buffer: string): { frames: { event: string; data: string }[]; rest: string } {
  const frames: { event: string; data: string }[] = [];
  const blocks = buffer.replace(/\r\n/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) frames.push({ event, data: data.join('\n') });
  }
  return { frames, rest };
}

export function httpTransport(options: HttpTransportOptions): AngelApi {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const authorization = `Bearer ${options.token}`;
  const listeners = new Map<string, Set<Listener>>();
  let stream: AbortController | null = null;

  const count = () => [...listeners.values()].reduce((n, set) => n + set.size, 0);

  function dispatch(event: string, data: string) {
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    for (const listener of listeners.get(event) ?? []) listener(payload);
  }

  /** One stream for all subscriptions, reconnected while anyone listens, closed when nobody does. */
  async function run(controller: AbortController) {
    for (let attempt = 0; !controller.signal.aborted; attempt++) {
      try {
        const res = await doFetch(`${options.origin}/events`, {
          headers: { authorization, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (res.ok && res.body) {
          attempt = 0;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseEventFrames(buffer + value);
            buffer = parsed.rest;
            for (const frame of parsed.frames) dispatch(frame.event, frame.data);
          }
        }
      } catch {
        // The server went away or the stream was aborted: retry below unless aborted.
      }
      if (controller.signal.aborted) return;
      await wait(RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)]!);
    }
  }

  return {
    async invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<Result<ChannelOutput<C>>> {
      let res: Response;
      try {
        res = await doFetch(`${options.origin}/rpc/${encodeURIComponent(channel)}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        return { ok: false, error: { code: 'UNAVAILABLE', message: 'the Angel Memory server cannot be reached' } };
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        body = undefined;
      }
      if (isResult(body)) return body as Result<ChannelOutput<C>>;
      const code = STATUS_CODES[res.status] ?? 'INTERNAL';
      return { ok: false, error: { code, message: `the server answered ${res.status}` } };
    },

    on(event, listener) {
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      const set = listeners.get(event) ?? new Set<Listener>();
      listeners.set(event, set);
      const wrapped: Listener = (payload) => listener(payload as Parameters<typeof listener>[0]);
      set.add(wrapped);
      if (!stream) {
        const controller = new AbortController();
        stream = controller;
        void run(controller);
      }
      return () => {
        set.delete(wrapped);
        if (count() === 0 && stream) {
          stream.abort();
          stream = null;
        }
      };
    },
  };
}

/**
 * The parts of the page's environment the choice depends on (structural, so this file also
 * type-checks under Node, where a test runs it against the real server).
 */
export interface TransportEnv {
  location: { hash: string; origin: string; pathname: string; search: string };
  angel?: AngelApi;
  sessionStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  history?: { replaceState(data: unknown, unused: string, url?: string | null): void };
  fetch?: typeof fetch;
}

/**
 * HTTP when the page was opened with `#token=...` (the token is then moved out of the address bar
 * into session storage, so a reload keeps working), else the Electron bridge (undefined outside it).
 */
export function selectTransport(env: TransportEnv): AngelApi | undefined {
  const fromHash = new URLSearchParams(env.location.hash.replace(/^#/, '')).get('token');
  if (fromHash) {
    env.sessionStorage?.setItem(TOKEN_KEY, fromHash);
    env.history?.replaceState(null, '', `${env.location.pathname}${env.location.search}`);
  }
  const token = fromHash ?? (env.angel ? null : env.sessionStorage?.getItem(TOKEN_KEY));
  if (token) return httpTransport({ origin: env.location.origin, token, fetch: env.fetch });
  return env.angel;
}
