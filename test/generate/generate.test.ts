// The data generator: the same seed gives the same vault byte for byte (rows, dates, tags, vectors
// and their codes), the vault it fills is healthy by doctor's checks, its vectors are exactly what
// the hashed embedder makes (so the embedding pass finds nothing to redo and query vectors match),
// and its data is searchable by keyword (accents folded, CJK) and by meaning.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { embedPending, keywordSearch, pendingCount, searchWith } from '../../src/main/search';
import { createHashedProvider, hashedEmbedding } from '../../src/main/search/providers/hashed';
import { vectorFrom } from '../../src/main/search/vectors';
import { openTestDb, type TestDb } from '../support/db';
import { makeCore, must, tempDir } from '../support/core';
import { cachedEmbedder, generate, GENERATOR_MODEL } from './generate';

const SIZES = { memories: 600, conversations: 60, segmentsPerConversation: 4 };
let a: TestDb;
let b: TestDb;
beforeAll(() => {
  a = openTestDb();
  b = openTestDb();
  generate(a.db, { ...SIZES, seed: 3 });
  generate(b.db, { ...SIZES, seed: 3 });
});
afterAll(() => {
  a.close();
  b.close();
});

const DUMPS = [
  'SELECT id, created_at, started_at, finished_at, language, title, overview, category, starred FROM conversations ORDER BY pk',
  'SELECT pk, conversation_id, idx, text, speaker, is_user, start_s, end_s FROM transcript_segments ORDER BY pk',
  'SELECT id, content, category, conversation_id, origin, reviewed, created_at FROM memories ORDER BY pk',
  'SELECT memory_id, tag_pk FROM memory_tags ORDER BY memory_id, tag_pk',
  'SELECT e.pk, kind, item_pk, model, content_hash, code, v.vector FROM embeddings e JOIN embedding_vectors v ON v.pk = e.pk ORDER BY e.pk',
];

it('is deterministic: the same seed writes the same rows and vectors', () => {
  for (const sql of DUMPS) expect(a.db.prepare(sql).all()).toEqual(b.db.prepare(sql).all());
  const other = openTestDb();
  try {
    generate(other.db, { ...SIZES, seed: 4 });
    const contents = 'SELECT content FROM memories ORDER BY pk';
    expect(other.db.prepare(contents).all()).not.toEqual(a.db.prepare(contents).all());
  } finally {
    other.close();
  }
});

it('writes the sizes asked for, with dates over years, several languages and tags', () => {
  const one = (sql: string) => a.db.prepare(sql).get() as Record<string, number | string>;
  expect(one('SELECT count(*) AS n FROM memories').n).toBe(600);
  expect(one('SELECT count(*) AS n FROM conversations').n).toBe(60);
  expect(one('SELECT count(*) AS n FROM transcript_segments').n).toBe(240);
  expect(one('SELECT count(*) AS n FROM embeddings').n).toBe(660);
  const span = one('SELECT min(created_at) AS lo, max(created_at) AS hi FROM memories');
  expect(Date.parse(span.hi as string) - Date.parse(span.lo as string)).toBeGreaterThan(3 * 365 * 86_400_000);
  expect(one('SELECT count(DISTINCT language) AS n FROM conversations').n).toBeGreaterThanOrEqual(4);
  expect(one("SELECT count(*) AS n FROM memories WHERE content GLOB '*[éèüöãçñ]*'").n).toBeGreaterThan(0);
  expect(
    one("SELECT count(*) AS n FROM memories WHERE content GLOB '*会議*' OR content GLOB '*誕生日*'").n,
  ).toBeGreaterThan(0);
  expect(one('SELECT count(DISTINCT memory_id) AS n FROM memory_tags').n).toBeGreaterThan(200);
});

it('stores exactly the hashed embedder vectors, so the embedding pass has nothing left to do', async () => {
  const embed = cachedEmbedder(768);
  for (const text of ['Réunion équipe café, the meeting', '会議 資料 予算', 'sourdough SOURDOUGH oven']) {
    expect(embed(text)).toEqual(hashedEmbedding(text, 768));
  }
  const rows = a.db
    .prepare(
      "SELECT m.content, v.vector FROM embeddings e JOIN memories m ON m.pk = e.item_pk JOIN embedding_vectors v ON v.pk = e.pk WHERE e.kind = 'memory' LIMIT 20",
    )
    .all() as { content: string; vector: Buffer }[];
  for (const r of rows) expect(vectorFrom(r.vector)).toEqual(hashedEmbedding(r.content, 768));
  const provider = createHashedProvider(768);
  expect(pendingCount(a.db, GENERATOR_MODEL)).toBe(0);
  expect((await embedPending(a.db, provider, { now: () => new Date() })).embedded).toBe(0);
});

it('is searchable by keyword (folded accents, CJK, segments) and by meaning', async () => {
  const keyword = (query: string) =>
    keywordSearch(a.db, { query, filters: { includeTrash: false }, limit: 10, offset: 0 });
  expect(keyword('reunion').items.length).toBeGreaterThan(0);
  expect(keyword('会議').items.length).toBeGreaterThan(0);
  expect(keyword('passport').items.some((h) => h.kind === 'segment')).toBe(true);
  const found = await searchWith(a.db, createHashedProvider(768), {
    query: 'passport lisbon flight',
    mode: 'semantic',
    filters: { includeTrash: false },
    limit: 5,
    offset: 0,
    prefix: false,
  });
  expect(found.modeUsed).toBe('semantic');
  expect(found.items[0]!.snippet.text).toMatch(/passport|lisbon|flight/i);
});

it('fills a profile that doctor finds healthy', async () => {
  const home = tempDir();
  const t = makeCore(home.path);
  try {
    const created = must(
      await t.core.invoke(
        'profiles.create',
        { name: 'gen', protection: { kind: 'passphrase', passphrase: 'pass phrase 1' } },
        'test',
      ),
    );
    const session = await t.core.unlock(created.profile.id, { kind: 'passphrase', passphrase: 'pass phrase 1' });
    generate(session.db, { memories: 300, conversations: 30, segmentsPerConversation: 3, seed: 9 });
    const report = await t.core.doctor(created.profile.id);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.healthy).toBe(true);
  } finally {
    await t.close();
    home.remove();
  }
});

it('runs as `npm run gen`: creates the profile, fills it and reports what it wrote', { timeout: 120_000 }, async () => {
  const home = tempDir();
  try {
    const jiti = join(import.meta.dirname, '../../node_modules/.bin/jiti');
    const cli = join(import.meta.dirname, 'cli.ts');
    const args = [
      '--data-dir',
      home.path,
      '--profile',
      'Gen',
      '--memories',
      '40',
      '--conversations',
      '4',
      '--seed',
      '5',
    ];
    const run = spawnSync(process.execPath, [jiti, cli, ...args], {
      env: { ...process.env, ANGEL_MEMORY_PASSPHRASE: 'pass phrase 2' },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      profileId: string;
      memories: number;
      segments: number;
      embeddings: number;
    };
    expect(report).toMatchObject({ memories: 40, segments: 32, embeddings: 44 });
    const t = makeCore(home.path);
    try {
      const session = await t.core.unlock('Gen', { kind: 'passphrase', passphrase: 'pass phrase 2' });
      expect(session.profile.id).toBe(report.profileId);
      expect(session.db.prepare('SELECT count(*) AS n FROM memories').get()).toEqual({ n: 40 });
    } finally {
      await t.close();
    }
  } finally {
    home.remove();
  }
});
