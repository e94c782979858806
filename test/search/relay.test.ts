// The embedding relay over a real encrypted vault and the loopback fakes of Gemini and Ollama: jobs
// queued by edits and by the sweep, a provider that goes down (keyword search still answers, the
// breaker opens, is persisted, and the queue resumes when the provider returns), the daily budget
// (nothing sent while it is spent; resumes the next day or when it rises), redaction of what the fake
// receives, a model change that re-embeds everything exactly once, refused dimensions, dead letters
// after the last attempt, pacing, and the background loop.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/main/db/open';
import { readBreaker, retryDeadLetters } from '../../src/main/db/repos/sync';
import { writeSetting } from '../../src/main/db/repos/settings';
import { createSilentLogger } from '../../src/main/logging';
import { searchWith, type SearchArgs } from '../../src/main/search';
import { enqueueEmbedding } from '../../src/main/search/jobs';
import { createOllamaProvider } from '../../src/main/search/providers/ollama';
import { createEmbeddingRelay, type RelayPorts } from '../../src/main/search/relay';
import { embeddingConfig, providerFor, type Env } from '../../src/main/search/settings';
import { usageToday } from '../../src/main/search/usage';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { startFakeGemini } from '../fakes/gemini-server';
import { startFakeOllama } from '../fakes/ollama-server';
import { openTestDb, testContext, type TestDb } from '../support/db';
import { addMemory, buildVault } from './fixture';

/** The fixture's live embeddable items: four memories and two conversations (one memory is trashed). */
const ITEMS = 6;
const FAST: Partial<RelayPorts> = {
  retries: 0,
  retryInitialDelayMs: 1,
  retryMaxDelayMs: 2,
  jobRetryInitialDelayMs: 1,
  jobRetryMaxDelayMs: 2,
  breakerThreshold: 100,
  idleMs: 50,
};

let t: TestDb;
let gemini: FakeEmbeddingServer;
let ollama: FakeEmbeddingServer;
let clock: Date;
const env = (): Env => ({ ANGEL_MEMORY_GEMINI_API_URL: gemini.url, ANGEL_MEMORY_OLLAMA_URL: ollama.url });

beforeEach(async () => {
  [gemini, ollama] = await Promise.all([startFakeGemini(), startFakeOllama()]);
  t = openTestDb();
  clock = new Date('2026-04-01T10:00:00.000Z');
  buildVault(t.db);
});
afterEach(async () => {
  t.close();
  await Promise.all([gemini.close(), ollama.close()]);
});

const set = (key: string, value: unknown, secret = false) => writeSetting(t.db, key, value, secret, testContext());
const useGemini = () => {
  set('embedding.provider', 'gemini');
  set('gemini.apiKey', 'test-key-123456', true);
};
const useOllama = (model?: string) => {
  set('embedding.provider', 'ollama');
  if (model) set('ollama.model', model);
};

function relayFor(db: Db, ports: Partial<RelayPorts> = {}) {
  return createEmbeddingRelay({
    session: () => ({ db }),
    config: (d) => embeddingConfig(d, env()),
    now: () => clock,
    logger: createSilentLogger(),
    ports: { ...FAST, ...ports },
  });
}

const count = (sql: string, ...params: unknown[]) => (t.db.prepare(sql).get(...params) as { n: number }).n;
const jobs = (state: string) => count("SELECT count(*) AS n FROM outbox WHERE kind = 'embed' AND state = ?", state);
const vectors = (model: string) => count('SELECT count(*) AS n FROM embeddings WHERE model = ?', model);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Moves the relay's clock on, past the backoff of failed jobs. */
const advance = (ms = 60_000) => (clock = new Date(clock.getTime() + ms));

const args = (query: string, mode: SearchArgs['mode']): SearchArgs => ({
  query,
  mode,
  filters: { includeTrash: false },
  limit: 10,
  offset: 0,
  prefix: false,
});

describe('the queue', () => {
  it('embeds what edits and the sweep queued, once per item, and completes the jobs', async () => {
    useOllama();
    // An edit queues its own job in its transaction; the sweep finds the rest.
    addMemory(t.db, 'm-new', 'A brand new memory about kites');
    t.db.transaction(() => enqueueEmbedding(t.db, [{ kind: 'memory', id: 'm-new' }], clock))();
    expect(jobs('pending')).toBe(1);

    const relay = relayFor(t.db, { batchSize: 4 });
    const progress: number[] = [];
    const report = await relay.drain('p', { onProgress: (n) => progress.push(n) });
    expect(report).toMatchObject({ embedded: ITEMS + 1, calls: 2, paused: null, error: null });
    expect(progress).toEqual([4, ITEMS + 1]);
    expect(ollama.requests).toHaveLength(2);
    expect(new Set(ollama.texts()).size).toBe(ITEMS + 1);
    expect(vectors('ollama:nomic-embed-text@768')).toBe(ITEMS + 1);
    expect(jobs('done')).toBe(ITEMS + 1);
    expect(jobs('pending') + jobs('leased') + jobs('dead')).toBe(0);
    expect(usageToday(t.db, 'ollama', clock)).toEqual({ calls: 2, characters: report.characters });

    // Nothing left: the next pass sends nothing; an edit re-embeds just that item.
    expect((await relay.drain('p')).embedded).toBe(0);
    t.db.prepare("UPDATE memories SET content = 'Kites need wind' WHERE id = 'm-new'").run();
    t.db.transaction(() => enqueueEmbedding(t.db, [{ kind: 'memory', id: 'm-new' }], clock))();
    expect(await relay.drain('p')).toMatchObject({ embedded: 1, calls: 1 });
    expect(ollama.texts().at(-1)).toBe('Kites need wind');
    expect(relay.status('p')).toMatchObject({
      provider: 'ollama',
      model: 'ollama:nomic-embed-text@768',
      backlog: 0,
      deadLetters: 0,
      breaker: 'closed',
      progress: { embedded: ITEMS + 2, vectors: ITEMS + 1 },
    });
  });

  it('re-embeds an item edited while its batch is in flight', async () => {
    useOllama();
    ollama.delayMs = 100;
    const relay = relayFor(t.db);
    const drained = relay.drain('p');
    for (let i = 0; i < 200 && ollama.requests.length === 0; i++) await sleep(5);
    t.db.prepare("UPDATE memories SET content = 'Tomatoes moved indoors' WHERE id = 'm-garden'").run();
    t.db.transaction(() => enqueueEmbedding(t.db, [{ kind: 'memory', id: 'm-garden' }], clock))();
    expect(await drained).toMatchObject({ embedded: ITEMS + 1, calls: 2 });
    expect(ollama.texts().at(-1)).toBe('Tomatoes moved indoors');
    expect((await relay.drain('p', { fresh: true })).embedded).toBe(0);
  });

  it('completes jobs of trashed items without sending them', async () => {
    useOllama();
    t.db.transaction(() => enqueueEmbedding(t.db, [{ kind: 'memory', id: 'm-trashed' }], clock))();
    const report = await relayFor(t.db).drain('p');
    expect(report.embedded).toBe(ITEMS);
    expect(ollama.texts()).not.toContain('An old coffee note that was thrown away');
    expect(jobs('pending')).toBe(0);
  });
});

describe('provider down', () => {
  it('keeps keyword search answering, opens a persisted breaker, and resumes when the provider returns', async () => {
    useGemini();
    gemini.down = true;
    const relay = relayFor(t.db, { breakerThreshold: 2, breakerHalfOpenMs: 150, batchSize: 3 });

    const first = await relay.drain('p');
    expect(first).toMatchObject({ embedded: 0, retried: 3, error: { code: 'UNAVAILABLE' } });
    // The failed jobs wait out their backoff; the other half of the queue fails next.
    expect((await relay.drain('p')).error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(readBreaker(t.db, 'gemini')?.state).toBe('open');
    const sent = gemini.requests.length;
    expect(sent).toBe(2);

    // Open: nothing is sent, nothing is lost, and the jobs keep their place in the queue.
    advance();
    expect(await relay.drain('p')).toMatchObject({ paused: 'breaker', embedded: 0 });
    expect(gemini.requests).toHaveLength(sent);
    expect(jobs('pending')).toBe(ITEMS);
    expect(jobs('dead')).toBe(0);

    // Search meanwhile: keyword answers; hybrid falls back to keyword with a notice, never an error.
    const provider = providerFor(t.db, env())!;
    const keyword = await searchWith(t.db, provider, args('tomatoes', 'keyword'));
    expect(keyword.items.map((h) => h.id)).toContain('m-garden');
    const hybrid = await searchWith(t.db, provider, args('tomatoes', 'hybrid'));
    expect(hybrid).toMatchObject({ modeUsed: 'keyword' });
    expect(hybrid.notice).not.toBeNull();

    // A restart remembers that Gemini is down.
    relay.halt();
    const restarted = relayFor(t.db, { breakerThreshold: 2, breakerHalfOpenMs: 150 });
    expect(restarted.status('p')).toMatchObject({ breaker: 'open', backlog: ITEMS, provider: 'gemini' });
    expect(await restarted.drain('p')).toMatchObject({ paused: 'breaker' });
    expect(gemini.requests).toHaveLength(sent);

    // The provider returns; after the half-open delay the probe succeeds and the queue drains.
    gemini.down = false;
    await sleep(200);
    advance();
    const resumed = await restarted.drain('p');
    expect(resumed).toMatchObject({ embedded: ITEMS, paused: null, error: null });
    expect(restarted.status('p')).toMatchObject({ breaker: 'closed', backlog: 0, deadLetters: 0 });
    expect(readBreaker(t.db, 'gemini')?.state).toBe('closed');
    const semantic = await searchWith(t.db, provider, args('tomatoes balcony', 'hybrid'));
    expect(semantic.modeUsed).toBe('hybrid');
  });

  it('retries a failing batch with backoff and makes dead letters after the last attempt', async () => {
    useOllama();
    ollama.down = true;
    const relay = relayFor(t.db, { jobMaxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      await relay.drain('p');
      advance();
    }
    expect(jobs('dead')).toBe(ITEMS);
    expect(relay.status('p')).toMatchObject({ deadLetters: ITEMS, backlog: 0 });
    expect(relay.status('p').lastError).toMatch(/Ollama/);
    const attempts = t.db.prepare("SELECT DISTINCT attempts FROM outbox WHERE kind = 'embed'").all();
    expect(attempts).toEqual([{ attempts: 3 }]);

    // A dead letter waits for the user; retried, it goes through once the provider is back.
    ollama.down = false;
    expect((await relay.drain('p')).embedded).toBe(0);
    retryDeadLetters(t.db, 'all', clock.toISOString());
    expect((await relay.drain('p')).embedded).toBe(ITEMS);
  });

  it('slows down on a rate limit without counting attempts', async () => {
    useOllama();
    ollama.inject('http429', 'http429');
    const relay = relayFor(t.db, { retries: 1, jobMaxAttempts: 1 });
    expect(await relay.drain('p')).toMatchObject({ embedded: 0, paused: 'rate-limited', dead: 0, retried: 0 });
    expect(ollama.requests).toHaveLength(2);
    expect(jobs('pending')).toBe(ITEMS);
    expect(t.db.prepare("SELECT DISTINCT attempts FROM outbox WHERE kind = 'embed'").all()).toEqual([{ attempts: 0 }]);
    // The batch waits a minute, then goes through.
    expect((await relay.drain('p')).embedded).toBe(0);
    advance(61_000);
    expect((await relay.drain('p')).embedded).toBe(ITEMS);
  });

  it('retries inside a call before failing the job', async () => {
    useOllama();
    ollama.inject('http500', 'reset');
    const report = await relayFor(t.db, { retries: 2 }).drain('p');
    expect(report).toMatchObject({ embedded: ITEMS, retried: 0, error: null });
    expect(ollama.requests).toHaveLength(3);
  });
});

describe('budget', () => {
  it('sends nothing while the daily budget is spent and resumes the next day or when it rises', async () => {
    useOllama();
    set('embedding.dailyCharacters', 100);
    const relay = relayFor(t.db, { batchSize: 10 });
    const first = await relay.drain('p');
    expect(first.paused).toBe('budget');
    expect(first.embedded).toBeGreaterThan(0);
    expect(first.embedded).toBeLessThan(ITEMS);
    expect(ollama.texts().join('').length).toBeLessThanOrEqual(100);
    const sent = ollama.requests.length;
    const waiting = ITEMS - first.embedded;
    expect(jobs('pending')).toBe(waiting);

    // Spent: no request at all, and the jobs stay pending (no attempt counted).
    expect(await relay.drain('p')).toMatchObject({ paused: 'budget', embedded: 0, calls: 0 });
    expect(ollama.requests).toHaveLength(sent);
    expect(relay.status('p')).toMatchObject({ paused: 'budget', backlog: waiting, budget: { dailyCharacters: 100 } });
    expect(t.db.prepare("SELECT DISTINCT attempts FROM outbox WHERE kind = 'embed'").all()).toEqual([{ attempts: 0 }]);

    // The next UTC day has a fresh budget.
    clock = new Date('2026-04-02T00:00:01.000Z');
    const nextDay = await relay.drain('p');
    expect(nextDay.embedded).toBeGreaterThan(0);
    expect(usageToday(t.db, 'ollama', clock).characters).toBeLessThanOrEqual(100);

    // A higher budget lets the rest through the same day.
    set('embedding.dailyCharacters', 100_000);
    const rest = await relay.drain('p');
    expect(rest.paused).toBeNull();
    expect(first.embedded + nextDay.embedded + rest.embedded).toBe(ITEMS);
    expect(jobs('pending')).toBe(0);
    expect(new Set(ollama.texts()).size).toBe(ITEMS);
  });
});

describe('what leaves the machine', () => {
  it('redacts e-mail addresses, phone numbers and never-send words in what Gemini receives', async () => {
    useGemini();
    set('embedding.neverSend', 'Project Falcon, Zanzibar');
    addMemory(t.db, 'm-contact', 'Dana is dana@example.com, mobile +44 20 7946 0958, working on Project Falcon');
    await relayFor(t.db).drain('p');
    const sent = gemini.texts().join('\n');
    expect(sent).toContain('Dana is [email], mobile [phone], working on [redacted]');
    expect(sent).not.toMatch(/example\.com|7946|Falcon/);
  });

  it('sends text as it is to a local Ollama unless redaction is switched on', async () => {
    useOllama();
    addMemory(t.db, 'm-contact', 'Call dana@example.com');
    const relay = relayFor(t.db);
    await relay.drain('p');
    expect(ollama.texts()).toContain('Call dana@example.com');
    set('embedding.redact', true);
    t.db.prepare("UPDATE memories SET content = 'Mail dana@example.com' WHERE id = 'm-contact'").run();
    await relay.drain('p', { fresh: true });
    expect(ollama.texts()).toContain('Mail [email]');
  });
});

describe('models', () => {
  it('re-embeds everything exactly once after a model change, keeping the old vectors', async () => {
    useOllama('old-model');
    const relay = relayFor(t.db, { batchSize: 2 });
    expect((await relay.drain('p')).embedded).toBe(ITEMS);
    useOllama('new-model');
    // The engine notices the new model and sweeps for it at once, without waiting for the interval.
    const partial = await relay.drain('p', { maxItems: 2 });
    expect(partial).toMatchObject({ embedded: 2, model: 'ollama:new-model@768' });
    expect(vectors('ollama:old-model@768')).toBe(ITEMS);
    expect(vectors('ollama:new-model@768')).toBe(2);
    await relay.drain('p');
    await relay.drain('p', { fresh: true });
    const models = ollama.requests.map((r) => (r.body as { model: string; input: string[] }).model);
    const sentWith = (m: string) =>
      ollama.requests
        .filter((r) => (r.body as { model: string }).model === m)
        .flatMap((r) => (r.body as { input: string[] }).input);
    expect(new Set(models)).toEqual(new Set(['old-model', 'new-model']));
    expect(sentWith('new-model')).toHaveLength(ITEMS);
    expect(new Set(sentWith('new-model')).size).toBe(ITEMS);
    expect(vectors('ollama:new-model@768')).toBe(ITEMS);
    expect(vectors('ollama:old-model@768')).toBe(ITEMS);
  });

  it('refuses vectors of the wrong dimension and a provider whose dimension differs from the vault', async () => {
    useOllama();
    ollama.inject('wrongDims');
    const relay = relayFor(t.db, { jobMaxAttempts: 1 });
    const report = await relay.drain('p');
    expect(report).toMatchObject({ embedded: 0, dead: ITEMS, error: { code: 'VALIDATION' } });
    expect(count('SELECT count(*) AS n FROM embeddings')).toBe(0);

    const wrong = createEmbeddingRelay({
      session: () => ({ db: t.db }),
      config: () => ({
        provider: createOllamaProvider({ baseUrl: ollama.url, dims: 512 }),
        redact: undefined,
        neverSend: [],
        dailyCharacters: undefined,
      }),
      now: () => clock,
      logger: createSilentLogger(),
    });
    const before = ollama.requests.length;
    await expect(wrong.drain('p')).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(ollama.requests).toHaveLength(before);
  });
});

describe('the background loop', () => {
  it('embeds what is queued while it runs and stops on request', async () => {
    useOllama();
    const relay = relayFor(t.db);
    relay.start('p');
    for (let i = 0; i < 200 && vectors('ollama:nomic-embed-text@768') < ITEMS; i++) await sleep(10);
    expect(vectors('ollama:nomic-embed-text@768')).toBe(ITEMS);
    expect(relay.status('p')).toMatchObject({ scheduled: true });

    addMemory(t.db, 'm-later', 'Added while the relay runs');
    t.db.transaction(() => enqueueEmbedding(t.db, [{ kind: 'memory', id: 'm-later' }], clock))();
    relay.kick('p');
    for (let i = 0; i < 200 && vectors('ollama:nomic-embed-text@768') < ITEMS + 1; i++) await sleep(10);
    expect(ollama.texts()).toContain('Added while the relay runs');
    await relay.stop('p');
    expect(relay.status('p')).toMatchObject({ scheduled: false, running: false, backlog: 0 });
  });

  it('paces provider calls, and a stop gives the waiting batch back to the queue', async () => {
    useOllama();
    // One call a minute: the second batch waits in the pacing queue.
    const relay = relayFor(t.db, { callsPerMinute: 1, batchSize: 2 });
    let finished = false;
    const drained = relay.drain('p').finally(() => (finished = true));
    for (let i = 0; i < 100 && ollama.requests.length === 0; i++) await sleep(10);
    await sleep(200);
    expect(ollama.requests).toHaveLength(1);
    expect(finished).toBe(false);
    expect(jobs('leased')).toBe(2);
    relay.halt();
    expect(await drained).toMatchObject({ embedded: 2, error: null });
    expect(ollama.requests).toHaveLength(1);
    expect(jobs('leased')).toBe(0);
    expect(jobs('pending')).toBe(ITEMS - 2);
  });
});
