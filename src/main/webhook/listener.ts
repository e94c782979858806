// The webhook listener: the app's only internet-facing surface (reached through the user's tunnel).
// A factory over node:http, bound to loopback, strict about every request before it reads a body:
// Host allow-list, no Origin (browsers never call us), method, route, content type, size cap, rate
// limit, then the OMI uid binding and the optional signature. Failures answer a JSON
// `{error:{code,message}}` and write nothing. What to do with an accepted delivery is the target's
// business (apply it, or seal it to the spool while the profile is locked).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { readBody } from '../http/read-body';
import type { ErrorCode } from '../../shared/result';
import { AppError } from '../errors';
import type { Logger } from '../logging';
import { WEBHOOK_KINDS, type RawDelivery, type WebhookKind } from './ingest';
import { verifySignature } from './signature';

export const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** What the listener needs to know about the profile a secret selects. */
export interface WebhookTarget {
  boundUid: string | null;
  /** Empty when the profile is locked or has no signing secret: signatures are then checked on unlock. */
  signingSecrets: readonly string[];
  requireSignature: boolean;
  /** Durably applies (or seals) the delivery; resolves only once it is on disk. */
  deliver(delivery: RawDelivery): Promise<{ status: 200 | 202; message?: string }>;
}

export interface WebhookListenerOptions {
  host?: string;
  port: number;
  /** Maps the secret path segment to a profile; undefined answers 404 like an unknown path. */
  route(secret: string): WebhookTarget | undefined;
  /** Extra Host names allowed besides loopback (the user's tunnel host). */
  allowedHosts(): readonly string[];
  maxBodyBytes?: number;
  /** Deliveries per address per minute to a known profile (default 1200). */
  ratePerMinute?: number;
  /** Requests per address per minute that name no profile (default 60). */
  strangerRatePerMinute?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  timeoutSweepMs?: number;
  now(): Date;
  logger: Logger;
}

export interface WebhookListener {
  url: string;
  port: number;
  close(): Promise<void>;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_INPUT: 400,
  VALIDATION: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  TIMEOUT: 408,
  TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
};

const KIND_BY_PATH: Record<string, WebhookKind> = Object.fromEntries(WEBHOOK_KINDS.map((k) => [k, k]));

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0];
}

export async function createWebhookListener(options: WebhookListenerOptions): Promise<WebhookListener> {
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const log = options.logger.child({ module: 'webhook' });
  const deliveries = new RateLimiterMemory({ points: options.ratePerMinute ?? 1200, duration: 60 });
  const strangers = new RateLimiterMemory({ points: options.strangerRatePerMinute ?? 60, duration: 60 });
  const inFlight = new Set<Promise<unknown>>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seen: { kind: WebhookKind | null } = { kind: null };
    const fail = (code: ErrorCode, message: string, headers?: Record<string, string>) => {
      // A bounded rejection line: no body, no query (it may carry a uid), no secret path.
      log.info({ code, method: req.method, kind: seen.kind }, 'webhook rejected');
      send(res, STATUS[code] ?? 400, { error: { code, message } }, headers);
    };

    const hostOk = (h: string | undefined) =>
      h !== undefined && (LOOPBACK_HOSTS.has(h) || options.allowedHosts().some((a) => a.toLowerCase() === h));
    if (!hostOk(hostName(req.headers.host))) return fail('FORBIDDEN', 'host not allowed');
    if (req.headers.origin !== undefined) return fail('FORBIDDEN', 'cross-origin requests are not accepted');

    const url = new URL(req.url ?? '/', 'http://webhook.invalid');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts.length === 1 && parts[0] === 'healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail('METHOD_NOT_ALLOWED', 'use GET', { allow: 'GET' });
      return send(res, 200, { status: 'ok' });
    }
    const kind = parts.length === 3 && parts[0] === 'omi' ? KIND_BY_PATH[parts[2]!] : undefined;
    const target = kind ? options.route(parts[1]!) : undefined;
    // Behind a tunnel every request comes from the tunnel client's address, so requests that name no
    // profile (scanners, guesses) draw on a separate, smaller budget: they cannot starve OMI's.
    const address = req.socket.remoteAddress ?? 'unknown';
    try {
      await (target ? deliveries : strangers).consume(address);
    } catch (err) {
      const retry = err instanceof RateLimiterRes ? Math.ceil(err.msBeforeNext / 1000) : 60;
      return fail('RATE_LIMITED', 'too many requests', { 'retry-after': String(retry) });
    }
    // An unknown secret answers exactly like an unknown path.
    if (!kind || !target) return fail('NOT_FOUND', 'not found');
    seen.kind = kind;
    if (req.method !== 'POST') return fail('METHOD_NOT_ALLOWED', 'use POST', { allow: 'POST' });

    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const wanted = kind === 'audio' ? 'application/octet-stream' : 'application/json';
    if (type !== wanted) return fail('UNSUPPORTED_MEDIA_TYPE', `content type must be ${wanted}`);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) return fail('TOO_LARGE', `body over ${maxBody} bytes`, { connection: 'close' });

    const uid = url.searchParams.get('uid');
    if (target.boundUid && uid !== target.boundUid) return fail('FORBIDDEN', 'uid does not match this profile');

    const body = await readBody(
      req,
      maxBody,
      () => new AppError('TOO_LARGE', `body over ${maxBody} bytes`),
      () => new AppError('BAD_INPUT', 'request aborted'),
    );

    const signature = req.headers['x-omi-signature'];
    if (typeof signature === 'string' && target.signingSecrets.length > 0) {
      const check = verifySignature(signature, target.signingSecrets, uid ?? '', body, options.now().getTime() / 1000);
      if (!check.ok) return fail('UNAUTHORIZED', `signature ${check.reason}`);
    } else if (target.requireSignature && typeof signature !== 'string') {
      return fail('UNAUTHORIZED', 'this profile requires signed deliveries');
    }

    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : null;
    };
    const sampleRate = Number(url.searchParams.get('sample_rate'));
    const outcome = await target.deliver({
      kind,
      uid,
      sessionId: url.searchParams.get('session_id'),
      sampleRate: Number.isInteger(sampleRate) && sampleRate > 0 ? sampleRate : null,
      idempotencyHeader: header('x-omi-idempotency-key') ?? header('x-omi-delivery'),
      signature: typeof signature === 'string' ? signature : null,
      body,
      receivedAt: options.now().toISOString(),
    });
    send(res, outcome.status, outcome.message ? { status: 'ok', message: outcome.message } : { status: 'ok' });
  }

  // The timeouts below are enforced by a periodic sweep; check often enough for them to bite.
  const server = createServer({ connectionsCheckingInterval: options.timeoutSweepMs ?? 1_000 }, (req, res) => {
    const work = handle(req, res)
      .catch((err: unknown) => {
        if (err instanceof AppError && STATUS[err.code]) {
          log.info({ code: err.code }, 'webhook rejected');
          send(res, STATUS[err.code]!, { error: { code: err.code, message: err.message } }, { connection: 'close' });
          if (err.code === 'TOO_LARGE') res.on('finish', () => req.destroy());
          return;
        }
        log.error({ err }, 'webhook delivery failed');
        send(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      })
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  });
  // Slow or stalled clients are cut off: headers within 10 s, the whole request within 30 s.
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log.info({ port }, 'webhook listener started');

  return {
    url: `http://${host}:${port}`,
    port,
    /** Stops accepting, lets in-flight deliveries finish, then closes idle connections. */
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
}
