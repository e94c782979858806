// `npm run bench -- search`: keyword search latency at 100,000 memories (plus 10,000 conversations and
// 50,000 transcript segments) in an encrypted vault opened by openDatabase, against raw FTS5 bm25
// (`ORDER BY rank LIMIT 20` over fts_memories alone) on the same data in the same run. The query mix
// has rare words, common words (the generator puts them in ~40-95% of rows), two-word and prefix
// queries. Numbers are reported, not asserted; the assertions are about behaviour (results found).
//
// Semantic and hybrid run over 100,000 memory vectors from the deterministic hashed embedder: the
// in-memory int8 index picks candidates and sqlite-vec re-scores them exactly (semantic.ts), against
// raw vec0 KNN (`MATCH ... AND k = 20`) on the same vectors. recall@10 is measured against the exact
// scan. Not measured yet: the 1,000,000 case.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect, test } from 'vitest';
import { openDatabase } from '../src/main/db/open';
import { keywordSearch, searchWith, type SearchArgs } from '../src/main/search';
import { semanticSearch } from '../src/main/search/semantic';
import { createHashedProvider } from '../src/main/search/providers/hashed';
import { modelKey } from '../src/main/search/providers/port';
import { tempDir } from '../test/support/core';

const MEMORIES = 100_000;
const CONVERSATIONS = 10_000;
const SEGMENTS_PER_CONVERSATION = 5;
const REPEATS = 5;

/** mulberry32: a small seeded generator, so every run builds the same vault. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Common words appear with a fixed probability per text; the rest come from a Zipf-like vocabulary.
const COMMON: [string, number][] = [
  ['the', 0.95],
  ['meeting', 0.6],
  ['coffee', 0.4],
];
const SYLLABLES = 'ka lo mi ne ra su ti vo ze pa ge lu bo fi da wen tor mas'.split(' ');
const VOCAB = Array.from({ length: 20_000 }, (_, i) => {
  let w = '';
  for (let n = i + 1; n > 0; n = Math.floor(n / SYLLABLES.length)) w += SYLLABLES[n % SYLLABLES.length];
  return w;
});

function text(r: () => number, words: number): string {
  const out: string[] = [];
  for (const [w, p] of COMMON) if (r() < p) out.push(w);
  for (let i = 0; i < words; i++) out.push(VOCAB[Math.floor(VOCAB.length * r() ** 3)]!);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.join(' ');
}

const QUERIES: [string, string, boolean][] = [
  ['rare', VOCAB[15_000]!, false],
  ['rare', VOCAB[9_000]!, false],
  ['common', 'the', false],
  ['common', 'meeting', false],
  ['common', 'coffee', false],
  ['two-word', 'coffee meeting', false],
  ['two-word', `the ${VOCAB[40]!}`, false],
  ['prefix', 'mee', true],
  ['prefix', VOCAB[300]!.slice(0, 4), true],
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

test('search at 100,000 memories', { timeout: 900_000 }, async () => {
  const dir = tempDir('angel-memory-bench-search-');
  try {
    const db = openDatabase(join(dir.path, 'vault.db'), randomBytes(32), { snapshotDir: join(dir.path, 'b') });
    const r = rng(42);
    const built = performance.now();
    const insertMemory = db.prepare(
      `INSERT INTO memories (id, content, category, origin, created_at, updated_at)
       VALUES (?, ?, 'interesting', 'sync', ?, ?)`,
    );
    const insertConversation = db.prepare(
      `INSERT INTO conversations (id, created_at, started_at, source, title, overview, category, content_hash, origin, updated_at)
       VALUES (?, ?, ?, 'omi', ?, ?, 'work', 'h', 'sync', ?)`,
    );
    const insertSegment = db.prepare(
      'INSERT INTO transcript_segments (conversation_id, idx, text, start_s, end_s) VALUES (?, ?, ?, ?, ?)',
    );
    const base = Date.parse('2023-01-01T00:00:00Z');
    const at = (i: number, n: number) => new Date(base + (i / n) * 3 * 365 * 86_400_000).toISOString();
    for (let start = 0; start < MEMORIES; start += 5_000) {
      db.transaction(() => {
        for (let i = start; i < start + 5_000; i++) {
          const when = at(i, MEMORIES);
          insertMemory.run(`m${i}`, text(r, 40), when, when);
        }
      })();
    }
    for (let start = 0; start < CONVERSATIONS; start += 1_000) {
      db.transaction(() => {
        for (let i = start; i < start + 1_000; i++) {
          const when = at(i, CONVERSATIONS);
          insertConversation.run(`c${i}`, when, when, text(r, 4), text(r, 30), when);
          for (let s = 0; s < SEGMENTS_PER_CONVERSATION; s++)
            insertSegment.run(`c${i}`, s, text(r, 25), s * 30, s * 30 + 25);
        }
      })();
    }
    const buildMs = performance.now() - built;

    const raw = db.prepare(
      'SELECT rowid, bm25(fts_memories) AS s FROM fts_memories WHERE fts_memories MATCH ? ORDER BY rank LIMIT 20',
    );
    const count = db.prepare('SELECT count(*) AS n FROM fts_memories WHERE fts_memories MATCH ?');
    const filters = { includeTrash: false };
    const rows: string[] = [];
    const all = { ours: [] as number[], raw: [] as number[] };
    for (const [kind, query, prefix] of QUERIES) {
      const probe = keywordSearch(db, { query, filters, limit: 20, offset: 0, prefix });
      expect(probe.items.length).toBeGreaterThan(0);
      const matches = (count.get(probe.match) as { n: number }).n;
      const ours: number[] = [];
      const base: number[] = [];
      for (let k = 0; k < REPEATS; k++) {
        let t = performance.now();
        keywordSearch(db, { query, filters, limit: 20, offset: 0, prefix });
        ours.push(performance.now() - t);
        t = performance.now();
        raw.all(probe.match);
        base.push(performance.now() - t);
      }
      all.ours.push(...ours);
      all.raw.push(...base);
      const capped = probe.items.some((h) => h.explain.capped);
      rows.push(
        `  ${kind.padEnd(9)} ${JSON.stringify(query).padEnd(22)} ${String(matches).padStart(6)} memory matches` +
          `  ours p50 ${ms(pct(ours, 50))} p95 ${ms(pct(ours, 95))}  raw p50 ${ms(pct(base, 50))}` +
          `  ratio ${(pct(ours, 50) / pct(base, 50)).toFixed(2)}${capped ? '  (capped)' : ''}`,
      );
    }
    // Vectors for every memory, stored as embedPending stores them (one transaction per 5,000).
    const provider = createHashedProvider(768);
    const model = modelKey(provider);
    const vectorsStarted = performance.now();
    const texts = db.prepare('SELECT pk, content FROM memories ORDER BY pk LIMIT ? OFFSET ?');
    const insertEmbedding = db.prepare(
      "INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES ('memory', ?, ?, 768, 'h', 'now')",
    );
    const insertVector = db.prepare('INSERT INTO vec_embeddings (rowid, embedding) VALUES (?, ?)');
    for (let offset = 0; offset < MEMORIES; offset += 5_000) {
      const batch = texts.all(5_000, offset) as { pk: number; content: string }[];
      const vectors = await provider.embed(
        batch.map((b) => b.content),
        'document',
      );
      db.transaction(() => {
        batch.forEach((b, i) => {
          const pk = insertEmbedding.run(b.pk, model).lastInsertRowid;
          insertVector.run(BigInt(pk), Buffer.from(vectors[i]!.buffer));
        });
      })();
    }
    const vectorsMs = performance.now() - vectorsStarted;
    const knn = db.prepare('SELECT rowid, distance FROM vec_embeddings WHERE embedding MATCH ? AND k = 20');
    const firstStarted = performance.now();
    await searchWith(db, provider, { query: 'coffee', mode: 'semantic', filters, limit: 20, offset: 0, prefix: false });
    const firstMs = performance.now() - firstStarted;
    let recallSum = 0;
    const recallQueries = ['coffee meeting', `${VOCAB[15_000]!} ${VOCAB[300]!}`, `the ${VOCAB[40]!} ${VOCAB[900]!}`];
    for (const query of recallQueries) {
      const [vector] = await provider.embed([query], 'query');
      const exact = semanticSearch(db, { vector: vector!, model, filters, limit: 10, indexThreshold: Infinity });
      const indexed = semanticSearch(db, { vector: vector!, model, filters, limit: 10 });
      recallSum += indexed.filter((h) => exact.some((e) => e.id === h.id)).length / exact.length;
    }
    const semanticRows: string[] = [];
    const sem = { semantic: [] as number[], hybrid: [] as number[], raw: [] as number[] };
    for (const query of ['coffee meeting', VOCAB[40]!, `${VOCAB[15_000]!} ${VOCAB[300]!}`]) {
      const args = (mode: SearchArgs['mode']): SearchArgs => ({
        query,
        mode,
        filters,
        limit: 20,
        offset: 0,
        prefix: false,
      });
      const probe = await searchWith(db, provider, args('semantic'));
      expect(probe.modeUsed).toBe('semantic');
      const [qv] = await provider.embed([query], 'query');
      for (let k = 0; k < 3; k++) {
        let t = performance.now();
        await searchWith(db, provider, args('semantic'));
        sem.semantic.push(performance.now() - t);
        t = performance.now();
        await searchWith(db, provider, args('hybrid'));
        sem.hybrid.push(performance.now() - t);
        t = performance.now();
        knn.all(Buffer.from(qv!.buffer));
        sem.raw.push(performance.now() - t);
      }
    }
    semanticRows.push(
      `  semantic p50 ${ms(pct(sem.semantic, 50))} p95 ${ms(pct(sem.semantic, 95))}; hybrid p50 ${ms(pct(sem.hybrid, 50))} p95 ${ms(pct(sem.hybrid, 95))}; raw vec0 KNN p50 ${ms(pct(sem.raw, 50))} p95 ${ms(pct(sem.raw, 95))}`,
      `  semantic/raw vec0 p50 ratio ${(pct(sem.semantic, 50) / pct(sem.raw, 50)).toFixed(2)}; recall@10 vs exact ${(recallSum / recallQueries.length).toFixed(2)}`,
      `  vectors stored in ${(vectorsMs / 1000).toFixed(1)} s; index build + first semantic query ${ms(firstMs)}`,
    );
    db.close();
    console.log(
      [
        '',
        `search bench: ${MEMORIES} memories, ${CONVERSATIONS} conversations, ${CONVERSATIONS * SEGMENTS_PER_CONVERSATION} segments (built in ${(buildMs / 1000).toFixed(1)} s)`,
        'keyword = memories + conversations + segments, filters, snippets; raw = fts_memories bm25 LIMIT 20 only',
        ...rows,
        `  all queries: keyword p50 ${ms(pct(all.ours, 50))} p95 ${ms(pct(all.ours, 95))}; raw p50 ${ms(pct(all.raw, 50))} p95 ${ms(pct(all.raw, 95))}; p95 ratio ${(pct(all.ours, 95) / pct(all.raw, 95)).toFixed(2)}`,
        `semantic / hybrid over ${MEMORIES} memory vectors (hashed embedder, 768 dims, encrypted vault):`,
        ...semanticRows,
        '',
      ].join('\n'),
    );
  } finally {
    dir.remove();
  }
});
