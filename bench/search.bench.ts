// `npm run bench -- search`: search latency on a generated vault (test/generate/generate.ts) of
// 100,000 memories, 10,000 conversations and 80,000 transcript segments, with a vector for every
// memory and conversation (hashed embedder, 768 dims, topic-clustered: see the generator), in an
// encrypted vault opened by openDatabase. ANGEL_MEMORY_BENCH_SCALE=1000000 runs the million-memory
// case (100,000 conversations, 800,000 segments); ANGEL_MEMORY_BENCH_CACHE=<dir> keeps the generated
// vault (and its key) there and reuses it on the next run with the same scale.
//
// Printed, not asserted (the machine is shared): p50/p95 of keyword, semantic and hybrid search, on
// one thread and with the search worker as the app runs it (src/main/search/ranker.ts), over a fixed query mix (rare, common, two-word, prefix, accented and CJK words), against raw FTS5 bm25
// (`ORDER BY rank LIMIT 20` over fts_memories alone) and raw vec0 KNN (`MATCH ... AND k = 20`) on
// the same data in the same run; recall@10 of semantic search against the exact scan (a hit counts
// when its exact distance is within the 10th exact distance: ties are common with bag-of-words
// vectors); opening the vault and answering the first keyword and first hybrid query.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect, test } from 'vitest';
import { openDatabase, type Db } from '../src/main/db/open';
import { createRanker, keywordSearch, searchWith, type SearchArgs } from '../src/main/search';
import { createHashedProvider } from '../src/main/search/providers/hashed';
import { semanticSearch, type SemanticHit } from '../src/main/search/semantic';
import { generate, GENERATOR_MODEL, TOPICS } from '../test/generate/generate';
import { tempDir } from '../test/support/core';

const MEMORIES = Number(process.env.ANGEL_MEMORY_BENCH_SCALE ?? 100_000);
const CONVERSATIONS = Math.round(MEMORIES / 10);
const SEGMENTS = 8;
const REPEATS = 5;
const LARGE = MEMORIES > 200_000;
const RECALL_QUERIES = LARGE ? 4 : 20;
const RAW_VEC0_QUERIES = LARGE ? 2 : 8;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const spread = (xs: number[]) => `p50 ${ms(pct(xs, 50))} p95 ${ms(pct(xs, 95))}`;
const tail = (topic: number, n: number) => TOPICS[topic]!.words[TOPICS[topic]!.words.length - 600 + n]!;

const KEYWORD_QUERIES: [string, string, boolean][] = [
  ['rare', tail(3, 590), false],
  ['rare', tail(8, 420), false],
  ['common', 'the', false],
  ['common', 'meeting', false],
  ['common', 'coffee', false],
  ['two-word', 'coffee meeting', false],
  ['two-word', 'the passport', false],
  ['two-word', 'lisbon flight', false],
  ['prefix', 'mee', true],
  ['prefix', 'pass', true],
  ['accented', 'reunion', false],
  ['cjk', '会議', false],
];

const SEMANTIC_QUERIES = [
  'passport lisbon flight',
  'tomatoes balcony compost',
  'sourdough recipe oven',
  'réunion équipe client',
  '会議 資料 予算',
  'doctor knee running the',
  'coffee meeting',
  `${tail(5, 30)} ${tail(5, 31)}`,
];

/** Opens the cached vault or generates a new one; returns the path, key and generation time. */
function vault(dir: string): { path: string; key: Buffer; generatedMs: number | null } {
  const path = join(dir, `vault-${MEMORIES}.db`);
  const keyFile = join(dir, `vault-${MEMORIES}.key`);
  if (existsSync(path) && existsSync(keyFile))
    return { path, key: Buffer.from(readFileSync(keyFile, 'utf8'), 'hex'), generatedMs: null };
  const key = randomBytes(32);
  const db = openDatabase(path, key, { snapshotDir: join(dir, 'backups') });
  const report = generate(db, {
    memories: MEMORIES,
    conversations: CONVERSATIONS,
    segmentsPerConversation: SEGMENTS,
    seed: 7,
  });
  db.close();
  writeFileSync(keyFile, key.toString('hex'));
  return { path, key, generatedMs: report.ms };
}

/** recall@10 of the indexed search against `exact`, and its time. */
function recallAt10(db: Db, vector: Float32Array, exact: SemanticHit[], rescored: number) {
  const filters = { includeTrash: false };
  let t = performance.now();
  const indexed = semanticSearch(db, {
    vector,
    model: GENERATOR_MODEL,
    filters,
    limit: 10,
    indexThreshold: 0,
    rescored,
  });
  t = performance.now() - t;
  const tenth = exact.at(-1)!.explain.vector.distance + 1e-6;
  return { recall: indexed.filter((h) => h.explain.vector.distance <= tenth).length / exact.length, ms: t };
}

test(`search at ${MEMORIES} memories`, { timeout: 3_600_000 }, async () => {
  const cacheDir = process.env.ANGEL_MEMORY_BENCH_CACHE;
  const temp = cacheDir ? null : tempDir('angel-memory-bench-search-');
  const dir = cacheDir ?? temp!.path;
  mkdirSync(dir, { recursive: true });
  try {
    const { path, key, generatedMs } = vault(dir);
    const provider = createHashedProvider(768);
    const filters = { includeTrash: false };
    const args = (query: string, mode: SearchArgs['mode'], prefix = false): SearchArgs => ({
      query,
      mode,
      filters,
      limit: 20,
      offset: 0,
      prefix,
    });

    // Open + first keyword query, then the first hybrid query (which builds the vector index).
    let t = performance.now();
    const db = openDatabase(path, key, { snapshotDir: join(dir, 'backups') });
    const openMs = performance.now() - t;
    t = performance.now();
    keywordSearch(db, args('coffee meeting', 'keyword'));
    const firstKeywordMs = performance.now() - t;
    t = performance.now();
    const first = await searchWith(db, provider, args('passport lisbon', 'hybrid'));
    const firstHybridMs = performance.now() - t;
    expect(first.modeUsed).toBe('hybrid');
    // The search worker the app runs (ranker.ts): segments (and in hybrid conversations) are ranked
    // on its own connection while this thread ranks the rest.
    const ranker = createRanker(path, key);
    await expect.poll(() => ranker.state, { timeout: 30_000, interval: 10 }).toBe('ready');

    const raw = db.prepare(
      'SELECT rowid, bm25(fts_memories) AS s FROM fts_memories WHERE fts_memories MATCH ? ORDER BY rank LIMIT 20',
    );
    const count = db.prepare('SELECT count(*) AS n FROM fts_memories WHERE fts_memories MATCH ?');
    const rows: string[] = [];
    const all = { ours: [] as number[], worker: [] as number[], raw: [] as number[] };
    for (const [kind, query, prefix] of KEYWORD_QUERIES) {
      const probe = keywordSearch(db, { ...args(query, 'keyword', prefix) });
      expect(probe.items.length).toBeGreaterThan(0);
      // The worker's connection has a page cache of its own: it gets the same unmeasured first run.
      await searchWith(db, null, args(query, 'keyword', prefix), ranker);
      const matches = (count.get(probe.match) as { n: number }).n;
      const ours: number[] = [];
      const worker: number[] = [];
      const base: number[] = [];
      for (let k = 0; k < REPEATS; k++) {
        t = performance.now();
        keywordSearch(db, args(query, 'keyword', prefix));
        ours.push(performance.now() - t);
        t = performance.now();
        await searchWith(db, null, args(query, 'keyword', prefix), ranker);
        worker.push(performance.now() - t);
        t = performance.now();
        raw.all(probe.match);
        base.push(performance.now() - t);
      }
      all.ours.push(...ours);
      all.worker.push(...worker);
      all.raw.push(...base);
      const capped = probe.items.some((h) => h.explain.capped);
      rows.push(
        `  ${kind.padEnd(9)} ${JSON.stringify(query).padEnd(18)} ${String(matches).padStart(7)} memory matches` +
          `  one thread ${spread(ours)}  with worker ${spread(worker)}  raw ${spread(base)}` +
          `  p50 ratio ${(pct(worker, 50) / pct(base, 50)).toFixed(2)}${capped ? '  (capped)' : ''}`,
      );
    }

    const knn = db.prepare('SELECT rowid, distance FROM vec_embeddings WHERE embedding MATCH ? AND k = 20');
    const sem = { semantic: [] as number[], hybrid: [] as number[], worker: [] as number[], raw: [] as number[] };
    const rawVectors: Float32Array[] = [];
    for (const query of SEMANTIC_QUERIES) {
      const probe = await searchWith(db, provider, args(query, 'semantic'));
      expect(probe.modeUsed).toBe('semantic');
      await searchWith(db, provider, args(query, 'hybrid'));
      await searchWith(db, provider, args(query, 'hybrid'), ranker);
      const [qv] = await provider.embed([query], 'query');
      for (let k = 0; k < 3; k++) {
        t = performance.now();
        await searchWith(db, provider, args(query, 'semantic'));
        sem.semantic.push(performance.now() - t);
        t = performance.now();
        await searchWith(db, provider, args(query, 'hybrid'));
        sem.hybrid.push(performance.now() - t);
        t = performance.now();
        await searchWith(db, provider, args(query, 'hybrid'), ranker);
        sem.worker.push(performance.now() - t);
      }
      if (rawVectors.length < RAW_VEC0_QUERIES) rawVectors.push(qv!);
    }
    // The raw vec0 scans run after ours: each reads every vector page through the page cache and
    // evicts what our queries had cached, so interleaved they made our next samples cold ones. A vec0
    // scan of a million vectors takes tens of seconds: a few samples are enough.
    for (const qv of rawVectors) {
      t = performance.now();
      knn.all(Buffer.from(qv.buffer));
      sem.raw.push(performance.now() - t);
    }

    // Recall on queries shaped like the data: a few words of a random memory, and topic phrases.
    const sample = db
      .prepare('SELECT content FROM memories WHERE pk % ? = 0 LIMIT ?')
      .pluck()
      .all(Math.floor(MEMORIES / RECALL_QUERIES), RECALL_QUERIES) as string[];
    // Japanese text has no spaces: it is cut by characters instead of words.
    const recallQueries = sample.map((c, i) =>
      /\s/.test(c)
        ? c
            .split(/\s+/)
            .slice(i % 5, (i % 5) + 3 + (i % 4))
            .join(' ')
        : c.slice(i % 5, (i % 5) + 8),
    );
    recallQueries.push(...SEMANTIC_QUERIES.slice(0, LARGE ? 2 : 8));
    const vectors = await provider.embed(recallQueries, 'query');
    const exactMs: number[] = [];
    const exact = vectors.map((vector) => {
      const started = performance.now();
      const hits = semanticSearch(db, { vector, model: GENERATOR_MODEL, filters, limit: 10, indexThreshold: Infinity });
      exactMs.push(performance.now() - started);
      return hits;
    });
    const recallRows = [`  exact scan (vec_distance_cosine over embedding_vectors): ${spread(exactMs)}`];
    for (const rescored of LARGE ? [400, 800] : [100, 200, 400, 800]) {
      const found = vectors.map((v, i) => recallAt10(db, v, exact[i]!, rescored));
      const mean = found.reduce((n, f) => n + f.recall, 0) / found.length;
      const worst = Math.min(...found.map((f) => f.recall));
      recallRows.push(
        `  re-scoring ${String(rescored).padStart(4)} candidates: recall@10 mean ${mean.toFixed(3)} min ${worst.toFixed(2)}; semanticSearch ${spread(found.map((f) => f.ms))}`,
      );
    }
    await ranker.close();
    db.close();
    console.log(
      [
        '',
        `search bench: ${MEMORIES} memories, ${CONVERSATIONS} conversations, ${CONVERSATIONS * SEGMENTS} segments, ${MEMORIES + CONVERSATIONS} vectors` +
          (generatedMs === null ? ' (cached vault)' : ` (generated in ${(generatedMs / 1000).toFixed(1)} s)`),
        `open ${ms(openMs)}; first keyword query ${ms(firstKeywordMs)} (open + first ${ms(openMs + firstKeywordMs)}); first hybrid query incl. index build ${ms(firstHybridMs)}`,
        'keyword = memories + conversations + segments, filters, snippets, on one thread and with the search worker;',
        'raw = fts_memories bm25 LIMIT 20 only; ratios are with the worker',
        ...rows,
        `  all keyword queries: one thread ${spread(all.ours)}; with worker ${spread(all.worker)}; raw ${spread(all.raw)}; p95 ratio ${(pct(all.worker, 95) / pct(all.raw, 95)).toFixed(2)}`,
        `semantic / hybrid (searchWith, limit 20, hashed embedder 768 dims):`,
        `  semantic ${spread(sem.semantic)}; hybrid one thread ${spread(sem.hybrid)}, with worker ${spread(sem.worker)}; raw vec0 KNN ${spread(sem.raw)}`,
        `  semantic/raw vec0 p50 ratio ${(pct(sem.semantic, 50) / pct(sem.raw, 50)).toFixed(3)}`,
        `recall@10 vs exact over ${recallQueries.length} queries (semanticSearch limit 10, index forced):`,
        ...recallRows,
        '',
      ].join('\n'),
    );
  } finally {
    temp?.remove();
  }
});
