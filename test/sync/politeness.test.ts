// The API client's manners, on a fake clock (no sleeps, no wall-clock assertions): typed errors for
// every failure, at most 100 requests in any 60 s window, nothing before a server-named reset, and a
// persisted circuit breaker: N consecutive failures open it, zero requests while open, exactly one
// probe after the half-open delay, success closes it, failure reopens it, and a restart remembers it.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { BrokenCircuitError } from 'cockatiel';
import type { Db } from '../../src/main/db/open';
import { createPersistedBreaker } from '../../src/main/sync/breaker';
import { createOmiClient } from '../../src/main/sync/client';
import { OmiApiError } from '../../src/main/sync/errors';
import { RateLimiter } from '../../src/main/sync/rate-limiter';
import { createFakeOmi, FAKE_KEY, type FakeOmi, type Scope } from '../fakes/omi-server';
import { openTestDb, type TestDb } from '../support/db';
import { FakeClock } from './support';

let clock: FakeClock;
let omi: FakeOmi;
let t: TestDb;

beforeEach(() => {
  clock = new FakeClock();
  t = openTestDb();
});
afterEach(async () => {
  await omi?.close();
  t.close();
  FakeClock.restore();
});

function client(
  db: Db,
  options: { limit?: number; threshold?: number; key?: string; timeoutMs?: number; retries?: number } = {},
) {
  const limiter = new RateLimiter({ limit: options.limit ?? 100, windowMs: 60_000, now: clock.ms, sleep: clock.sleep });
  const breaker = createPersistedBreaker(db, 'omi', {
    threshold: options.threshold ?? 5,
    halfOpenAfterMs: 30_000,
    now: clock.now,
  });
  const api = createOmiClient({
    baseUrl: omi.url,
    apiKey: options.key ?? FAKE_KEY,
    fetch: (input, init) => fetch(input, init),
    limiter,
    breaker,
    timeoutMs: options.timeoutMs ?? 5_000,
    retries: options.retries ?? 0,
    retryInitialDelayMs: 1,
    retryMaxDelayMs: 2,
  });
  return { api, limiter, breaker };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('typed errors', () => {
  test('each failure maps to a kind and an app error code', async () => {
    omi = await createFakeOmi({ now: clock.ms, keys: { [FAKE_KEY]: ['memories:read'] satisfies Scope[] } });
    const { api } = client(t.db, { timeoutMs: 300 });
    const cases: [Promise<unknown>, string, string][] = [
      [client(t.db, { key: 'omi_dev_wrong' }).api.listMemories(1, 0), 'unauthorized', 'UNAUTHORIZED'],
      [api.createMemory({ content: 'needs write scope' }), 'forbidden', 'FORBIDDEN'],
      [api.request('GET', '/user/nothing-here', (await import('zod')).z.unknown()), 'not_found', 'NOT_FOUND'],
    ];
    for (const [p, kind, code] of cases) {
      const err = await failure(p);
      expect(err).toBeInstanceOf(OmiApiError);
      expect(err).toMatchObject({ kind, code });
    }
    const faults: [Parameters<FakeOmi['inject']>[0], string, string][] = [
      [{ kind: 'status', status: 422 }, 'validation', 'VALIDATION'],
      [{ kind: 'status', status: 429, headers: { 'retry-after': '0' } }, 'rate_limited', 'RATE_LIMITED'],
      [{ kind: 'status', status: 503 }, 'server', 'UNAVAILABLE'],
      [{ kind: 'reset' }, 'network', 'UNAVAILABLE'],
      [{ kind: 'truncate' }, 'network', 'UNAVAILABLE'],
      [{ kind: 'timeout' }, 'timeout', 'TIMEOUT'],
    ];
    for (const [fault, kind, code] of faults) {
      omi.inject(fault);
      const err = await failure(api.listMemories(1, 0));
      expect(err, fault.kind).toMatchObject({ kind, code });
    }
    // A body that is complete JSON but not the documented shape is refused by the schema.
    const bad = await failure(
      api.request('GET', '/user/memories', (await import('../../src/main/sync/schemas')).BatchCreated),
    );
    expect(bad).toMatchObject({ kind: 'server', code: 'UNAVAILABLE' });
  });
});

describe('rate', () => {
  test('at most 100 requests in every 60 s window; the fake never has to refuse one', async () => {
    omi = await createFakeOmi({ now: clock.ms });
    const { api, limiter } = client(t.db);
    for (let i = 0; i < 350; i++) {
      await api.listMemories(1, 0);
      clock.advance(i % 7 === 0 ? 1_500 : 40); // bursts and pauses
    }
    const times = omi.requests.map((r) => r.at);
    expect(times).toHaveLength(350);
    for (let i = 0; i + 100 < times.length; i++) expect(times[i + 100]! - times[i]!).toBeGreaterThanOrEqual(60_000);
    expect(omi.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(limiter.headroom().limit).toBe(100);
  });

  test('after a 429 with Retry-After, and after Remaining: 0 with a reset time, nothing is sent before it', async () => {
    omi = await createFakeOmi({ now: clock.ms, rateLimit: { limit: 5, windowMs: 60_000 } });
    // Our own pacing is set far above the server's so only the server's headers hold us back.
    const { api, limiter } = client(t.db, { limit: 10_000, retries: 1 });
    const start = clock.ms();
    for (let i = 0; i < 12; i++) await api.listMemories(1, 0);
    const times = omi.requests.map((r) => r.at);
    // Five in the first window, then a wait for the announced reset, five more, and so on.
    expect(times.slice(0, 5).every((x) => x === start)).toBe(true);
    expect(times[5]).toBeGreaterThanOrEqual(start + 60_000);
    expect(omi.requests.filter((r) => r.status === 429)).toEqual([]);

    const before = clock.ms();
    omi.inject({ kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    await api.listMemories(1, 0); // refused, then retried by cockatiel after the limiter's wait
    const [refused, retried] = omi.requests.slice(-2);
    expect(refused!.status).toBe(429);
    expect(retried!.status).toBe(200);
    expect(retried!.at).toBeGreaterThanOrEqual(before + 30_000);
    expect(limiter.headroom().blockedUntil).toBeNull();

    // A 429 that names only its reset time (epoch seconds): nothing is sent before it.
    const resetAt = Math.ceil((clock.ms() + 45_000) / 1000) * 1000;
    omi.inject({ kind: 'status', status: 429, headers: { 'x-ratelimit-reset': String(resetAt / 1000) } });
    const sentBefore = omi.requests.length;
    await api.listMemories(1, 0);
    await api.listMemories(1, 0);
    const after = omi.requests.slice(sentBefore);
    expect(after.map((r) => r.status)).toEqual([429, 200, 200]);
    for (const r of after.slice(1)) expect(r.at).toBeGreaterThanOrEqual(resetAt);
  });
});

describe('circuit breaker', () => {
  test('opens after N failures, sends nothing while open, one probe after the delay, and survives a restart', async () => {
    omi = await createFakeOmi({ now: clock.ms, rateLimit: false });
    omi.inject({ kind: 'status', status: 500, times: 1000 });
    const first = client(t.db, { threshold: 3 });
    for (let i = 0; i < 3; i++) expect(await failure(first.api.listMemories(1, 0))).toMatchObject({ kind: 'server' });
    expect(first.breaker.probeAt()?.getTime()).toBe(clock.ms() + 30_000);
    const sent = () => omi.requests.length;
    expect(sent()).toBe(3);

    // Open: calls fail at once, zero requests.
    for (let i = 0; i < 5; i++) expect(await failure(first.api.listMemories(1, 0))).toBeInstanceOf(BrokenCircuitError);
    clock.advance(29_000);
    expect(await failure(first.api.listMemories(1, 0))).toBeInstanceOf(BrokenCircuitError);
    expect(sent()).toBe(3);

    // Half-open: exactly one probe, even when several calls come at once; it fails, so the breaker
    // opens again and the others fail without a request.
    clock.advance(1_000);
    const burst = await Promise.all(Array.from({ length: 5 }, () => failure(first.api.listMemories(1, 0))));
    expect(burst.filter((e) => e instanceof OmiApiError)).toMatchObject([{ kind: 'server' }]);
    expect(burst.filter((e) => e instanceof BrokenCircuitError)).toHaveLength(4);
    expect(sent()).toBe(4);
    expect(await failure(first.api.listMemories(1, 0))).toBeInstanceOf(BrokenCircuitError);
    expect(sent()).toBe(4);
    first.breaker.dispose();

    // A restart (a new client over the same database) is still open and sends nothing.
    const second = client(t.db, { threshold: 3 });
    expect(await failure(second.api.listMemories(1, 0))).toBeInstanceOf(BrokenCircuitError);
    expect(sent()).toBe(4);
    expect(t.db.prepare("SELECT state FROM breaker_state WHERE upstream = 'omi'").get()).toEqual({ state: 'open' });

    // After the delay the probe succeeds and closes it; traffic flows again.
    omi.clearFaults();
    clock.advance(30_000);
    await second.api.listMemories(1, 0);
    expect(sent()).toBe(5);
    expect(second.breaker.probeAt()).toBeNull();
    await second.api.listMemories(1, 0);
    await second.api.listMemories(1, 0);
    expect(sent()).toBe(7);
    expect(t.db.prepare("SELECT state FROM breaker_state WHERE upstream = 'omi'").get()).toEqual({ state: 'closed' });
  });

  test('4xx answers, 429 included, do not open it', async () => {
    omi = await createFakeOmi({ now: clock.ms, rateLimit: false });
    omi.inject({ kind: 'status', status: 422, times: 10 });
    const { api, breaker } = client(t.db, { threshold: 2 });
    for (let i = 0; i < 10; i++) expect(await failure(api.listMemories(1, 0))).toMatchObject({ kind: 'validation' });
    expect(breaker.probeAt()).toBeNull();
    await api.listMemories(1, 0);
    expect(omi.requests).toHaveLength(11);
  });
});
