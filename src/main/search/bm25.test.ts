// bm25.ts against FTS5's own bm25() on the same rows: the same scores where the tokenizing agrees
// (space-separated words, accents, a weighted second column), and a document frequency that is exact
// under the cap and a close estimate above it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTestDb, type TestDb } from '../../../test/support/db';
import { bm25, corpus, documentFrequency, scoredTerms } from './bm25';
import { parseQuery } from './query';

let t: TestDb;
const WORDS = 'coffee dana pricing vendor balcony tomatoes garden café réunion lisbon passport the'.split(' ');
beforeAll(() => {
  t = openTestDb();
  const now = new Date().toISOString();
  const memory = t.db.prepare(
    "INSERT INTO memories (id, content, category, origin, created_at, updated_at) VALUES (?, ?, 'system', 'local', ?, ?)",
  );
  const conversation = t.db.prepare(
    "INSERT INTO conversations (id, created_at, title, overview, content_hash, origin, updated_at) VALUES (?, ?, ?, ?, 'h', 'local', ?)",
  );
  t.db.transaction(() => {
    for (let i = 0; i < 500; i++) {
      const words = Array.from({ length: 3 + (i % 17) }, (_, k) => WORDS[(i * 7 + k * k * 3) % WORDS.length]!);
      if (i % 2 === 0) words.push('the');
      memory.run(`m${i}`, words.join(' '), now, now);
      if (i < 120) conversation.run(`c${i}`, now, words.slice(0, 2).join(' '), words.slice(2).join(' '), now);
    }
  })();
});
afterAll(() => t.close());

function compare(fts: string, table: string, columns: string, weights: number[], query: string) {
  const q = parseQuery(query);
  const bm25Args = weights.length > 1 ? `, ${weights.join(', ')}` : '';
  const rows = t.db
    .prepare(
      `SELECT f.rowid AS pk, bm25(${fts}${bm25Args}) AS expected, ${columns} FROM ${fts} f JOIN ${table} x ON x.pk = f.rowid WHERE ${fts} MATCH ?`,
    )
    .all(q.match) as { pk: number; expected: number; c0: string; c1?: string }[];
  expect(rows.length).toBeGreaterThan(5);
  const terms = scoredTerms(t.db, fts, q.terms, 10_000);
  const { avgLength } = corpus(t.db, fts);
  for (const r of rows) expect(bm25(terms, [r.c0, r.c1 ?? null], weights, avgLength)).toBeCloseTo(r.expected, 6);
}

it('scores memories as FTS5 bm25() does', () => {
  for (const query of ['coffee', 'coffee vendor', 'the', 'cafe', 'reunion the', 'pass*', '"coffee vendor"']) {
    compare('fts_memories', 'memories', 'x.content AS c0', [1], query);
  }
});

it('weighs conversation titles as FTS5 bm25() does', () => {
  for (const query of ['coffee', 'passport the', 'tomatoes']) {
    compare('fts_conversations', 'conversations', 'x.title AS c0, x.overview AS c1', [2, 1], query);
  }
});

it('counts matching rows exactly under the cap and estimates them above it', () => {
  const { rows } = corpus(t.db, 'fts_memories');
  expect(rows).toBe(500);
  const exact = (
    t.db.prepare("SELECT count(*) AS n FROM fts_memories WHERE fts_memories MATCH 'the'").get() as { n: number }
  ).n;
  expect(documentFrequency(t.db, 'fts_memories', 'the', 1_000, rows)).toBe(exact);
  const estimate = documentFrequency(t.db, 'fts_memories', 'the', 100, rows);
  expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.1);
});
