// The search worker (src/main/search/ranker.ts): keyword and hybrid search with some kinds ranked on
// the worker's own connection answer exactly as they do on one thread, and a worker that fails,
// before or during a query, costs nothing but time (its kinds are ranked on the main thread).
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { SearchFilters, SearchMode } from '../../src/shared/models';
import { createRanker, searchWith, type Ranker, type SearchArgs } from '../../src/main/search';
import { createHashedProvider } from '../../src/main/search/providers/hashed';
import { generate } from '../generate/generate';
import { openTestDb, type TestDb } from '../support/db';

let t: TestDb;
const provider = createHashedProvider(768);
beforeAll(() => {
  t = openTestDb();
  generate(t.db, { memories: 3_000, conversations: 300, segmentsPerConversation: 8, seed: 11 });
});
afterAll(() => t.close());

const args = (query: string, mode: SearchMode, filters: Partial<SearchFilters> = {}, prefix = false): SearchArgs => ({
  query,
  mode,
  filters: { includeTrash: false, ...filters },
  limit: 20,
  offset: 0,
  prefix,
});

const CASES: SearchArgs[] = [
  args('the', 'keyword'),
  args('coffee meeting', 'keyword'),
  args('mee', 'keyword', {}, true),
  args('passport -lisbon', 'keyword'),
  args('the', 'keyword', { kinds: ['segment', 'memory'], from: '2024-01-01' }),
  args('meeting', 'keyword', { includeTrash: true }),
  args('passport lisbon flight', 'hybrid'),
  args('coffee meeting', 'hybrid', { kinds: ['conversation', 'segment'] }),
  args('réunion équipe', 'hybrid'),
];

async function readyRanker(worker?: URL): Promise<Ranker> {
  const ranker = createRanker(t.path, t.key, { worker });
  await vi.waitFor(() => expect(ranker.state).toBe('ready'), { timeout: 20_000, interval: 20 });
  return ranker;
}

it('answers every mode and filter exactly as the single-threaded search does', async () => {
  const ranker = await readyRanker();
  const rank = vi.spyOn(ranker, 'rank');
  try {
    for (const a of CASES) {
      const alone = await searchWith(t.db, provider, a);
      expect(alone.items.length, a.query).toBeGreaterThan(0);
      expect(await searchWith(t.db, provider, a, ranker), `${a.mode} ${a.query}`).toEqual(alone);
    }
    // Keyword mode hands segments over; hybrid segments and conversations; a kinds filter fewer.
    const kinds = rank.mock.calls.map((c) => c[0]);
    expect(kinds).toContain('segment');
    expect(kinds).toContain('conversation');
    expect(kinds).not.toContain('memory');
  } finally {
    await ranker.close();
  }
  expect(ranker.state).toBe('stopped');
});

it('runs from the build as well (out/main/search-worker.js, which `npm test` builds first)', async () => {
  const ranker = await readyRanker(new URL('../../out/main/search-worker.js', import.meta.url));
  const rank = vi.spyOn(ranker, 'rank');
  try {
    for (const a of [CASES[1]!, CASES[6]!]) {
      expect(await searchWith(t.db, provider, a, ranker)).toEqual(await searchWith(t.db, provider, a));
    }
    expect(rank).toHaveBeenCalled();
  } finally {
    await ranker.close();
  }
});

it('ranks on the main thread when the worker refuses or dies mid-query', async () => {
  const expected = await Promise.all(CASES.map((a) => searchWith(t.db, provider, a)));
  const refusing: Ranker = {
    state: 'ready',
    rank: () => Promise.reject(new Error('refused')),
    close: async () => {},
  };
  for (const [i, a] of CASES.entries()) expect(await searchWith(t.db, provider, a, refusing)).toEqual(expected[i]);

  // A worker that says it is ready, then exits on its first request.
  const dying = new URL(
    `data:text/javascript,${encodeURIComponent(
      "import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ type: 'ready' }); parentPort.on('message', () => process.exit(3));",
    )}`,
  );
  const stopped = vi.fn();
  const ranker = createRanker(t.path, t.key, { worker: dying, onStopped: stopped });
  await vi.waitFor(() => expect(ranker.state).toBe('ready'), { timeout: 20_000, interval: 20 });
  expect(await searchWith(t.db, provider, CASES[0]!, ranker)).toEqual(expected[0]);
  expect(stopped).toHaveBeenCalledWith('exited (code 3)');
  expect(ranker.state).toBe('stopped');
  // Once stopped it is not asked again.
  expect(await searchWith(t.db, provider, CASES[6]!, ranker)).toEqual(expected[6]);
  await ranker.close();
  expect(stopped).toHaveBeenCalledTimes(1);
});
