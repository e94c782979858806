// The headless browser UI (DESIGN §9): on its own loopback port, the built renderer plus the IPC
// contract over HTTP. `POST /rpc/<channel>` takes the channel's input as a JSON body and answers the
// core's Result envelope; `GET /events` is a server-sent event stream of the contract's push events.
// Both need the per-run bearer token, which reaches the page only in the URL fragment (never sent to
// a server, never in a log). Strict like the webhook listener: Host allow-list against DNS
// rebinding, same-origin only (no CORS headers at all), POST + application/json + size cap for RPC.
// Channels and events come from the contract by loop, so a new channel is served without edits here.
// This port never accepts webhooks: /omi/* is just another unknown path (404).
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import sjson from 'secure-json-parse';
import { contract, eventNames, type Channel } from '../../shared/ipc/contract';
import { readBody } from '../http/read-body';
import type { ErrorCode, Result } from '../../shared/result';
import type { Core } from '../core';
import type { Logger } from '../logging';

export const DEFAULT_UI_PORT = 8788;
export const DEFAULT_MAX_RPC_BODY = 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const HEARTBEAT_MS = 15_000;

/** The page's policy: only our own origin, for scripts, styles, fetch (RPC and events) and images. */
export const UI_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// Every answer carries these: no caching of RPC answers, no sniffing, no framing, no referrer.
const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

export interface UiServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  core: Pick<Core, 'invoke' | 'on'>;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** The bearer token; a fresh random one per run when omitted. */
  token?: string;
  /** Extra Host names allowed besides loopback. */
  allowedHosts?: readonly string[];
  maxBodyBytes?: number;
  logger: Logger;
}

export interface UiServer {
  /** The origin, e.g. http://127.0.0.1:8788. */
  url: string;
  /** What to open in a browser: the origin with the token in the fragment. */
  pageUrl: string;
  port: number;
  /** Ends the event streams, lets RPC calls in flight finish, then closes. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(text);
}

const failure = (code: ErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });

export async function createUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(32).toString('base64url');
  const tokenDigest = digest(`Bearer ${token}`);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_RPC_BODY;
  const log = options.logger.child({ module: 'ui-server' });
  const allowed = new Set([...LOOPBACK_HOSTS, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  const inFlight = new Set<Promise<unknown>>();
  const streams = new Set<ServerResponse>();
  let realRoot: Promise<string> | undefined;

  const authorized = (req: IncomingMessage) => {
    const header = req.headers.authorization;
    // Hashing both sides gives equal lengths for timingSafeEqual whatever the header's length.
    return typeof header === 'string' && timingSafeEqual(digest(header), tokenDigest);
  };

  async function serveFile(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      throw new HttpError('NOT_FOUND', 'not found');
    }
    if (decoded.includes('\0')) throw new HttpError('NOT_FOUND', 'not found');
    const root = options.rendererDir;
    const path = join(root, decoded === '/' ? 'index.html' : decoded);
    if (!inside(root, path)) throw new HttpError('NOT_FOUND', 'not found');
    let body: Buffer;
    let real: string;
    try {
      // A symlink inside the folder must not lead out of it either.
      real = await realpath(path);
      if (!inside(await (realRoot ??= realpath(root)), real) || !(await stat(real)).isFile()) throw new Error('no');
      body = await readFile(real);
    } catch {
      throw new HttpError('NOT_FOUND', 'not found');
    }
    // Only now: an unknown path (say /omi/...) is a 404 whatever the method.
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError('METHOD_NOT_ALLOWED', 'use GET');
    const type = MIME[extname(real).toLowerCase()] ?? 'application/octet-stream';
    const headers: Record<string, string | number> = {
      ...BASE_HEADERS,
      'content-type': type,
      'content-length': body.length,
      'cache-control': 'no-cache',
    };
    if (type.startsWith('text/html')) headers['content-security-policy'] = UI_CONTENT_SECURITY_POLICY;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function rpc(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!authorized(req)) throw new HttpError('UNAUTHORIZED', 'missing or wrong token');
    if (!Object.hasOwn(contract, name)) throw new HttpError('NOT_FOUND', `unknown channel "${name}"`);
    if (req.method !== 'POST') throw new HttpError('METHOD_NOT_ALLOWED', 'use POST');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'content type must be application/json');
    if (Number(req.headers['content-length'] ?? 0) > maxBody)
      throw new HttpError('TOO_LARGE', `body over ${maxBody} bytes`);
    const body = await readBody(req, maxBody, () => new HttpError('TOO_LARGE', `body over ${maxBody} bytes`));
    let input: unknown;
    try {
      // secure-json-parse refuses __proto__ and constructor.prototype keys.
      input =
        body.length === 0
          ? {}
          : sjson.parse(body.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch {
      throw new HttpError('BAD_INPUT', `${name}: the body is not valid JSON`);
    }
    // The core validates the input against the contract and never throws: its Result is the answer.
    sendJson(res, 200, await options.core.invoke(name as Channel, input, 'user'));
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    if (!authorized(req)) throw new HttpError('UNAUTHORIZED', 'missing or wrong token');
    if (req.method !== 'GET') throw new HttpError('METHOD_NOT_ALLOWED', 'use GET');
    res.writeHead(200, {
      ...BASE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowed.has(hostName(req.headers.host) ?? '')) throw new HttpError('FORBIDDEN', 'host not allowed');
    // Same-origin only: a browser sends Origin on every POST and on cross-origin GETs.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`)
      throw new HttpError('FORBIDDEN', 'cross-origin requests are not accepted');
    if (req.headers['sec-fetch-site'] === 'cross-site') throw new HttpError('FORBIDDEN', 'cross-site request');

    const { pathname } = new URL(req.url ?? '/', 'http://ui.invalid');
    if (pathname.startsWith('/rpc/')) return rpc(req, res, pathname.slice('/rpc/'.length));
    if (pathname === '/events') return events(req, res);
    return serveFile(req, res, pathname);
  }

  // One subscription per push event for the server's lifetime, fanned out to every open stream.
  const offs = eventNames.map((event) =>
    options.core.on(event, (payload) => {
      const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const res of streams) res.write(frame);
    }),
  );
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': ping\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const server = createServer((req, res) => {
    const work = handle(req, res)
      .catch((err: unknown) => {
        if (err instanceof HttpError) {
          if (err.code !== 'NOT_FOUND') log.info({ code: err.code, method: req.method }, 'ui request rejected');
          // The rest of an oversized body is never read: close the connection rather than reuse it.
          const tooLarge = err.code === 'TOO_LARGE';
          sendJson(
            res,
            STATUS[err.code] ?? 400,
            failure(err.code, err.message),
            tooLarge ? { connection: 'close' } : {},
          );
          if (tooLarge) res.on('finish', () => req.destroy());
          return;
        }
        log.error({ err }, 'ui request failed');
        sendJson(res, 500, failure('INTERNAL', 'internal error'));
      })
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  log.info({ port }, 'ui server started');

  return {
    url,
    pageUrl: `${url}/#token=${token}`,
    port,
    async close() {
      clearInterval(heartbeat);
      for (const off of offs) off();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const res of streams) res.end();
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
}
