import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openTestDb, testContext, type TestDb } from '../../../test/support/db';
import { upsertConversation } from '../db/repos/conversations';
import { normalizeOmiConversation, type NormalizedConversation } from '../webhook/omi-conversation';
import { keywordSearch } from './keyword';
import {
  catchUpSegmentIndex,
  drainSegmentIndex,
  indexSegmentChunk,
  segmentBacklog,
  segmentIndexBehind,
  segmentIndexer,
} from './segment-index';

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
});
afterEach(() => t.close());

const ctx = testContext('webhook');

function conversation(id: string, texts: string[]): NormalizedConversation {
  const r = normalizeOmiConversation({
    id,
    created_at: '2026-01-05T11:00:00Z',
    structured: { title: id },
    transcript_segments: texts.map((text, i) => ({ text, start: i, end: i + 1 })),
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const upsert = (id: string, texts: string[]) => upsertConversation(t.db, conversation(id, texts), 'webhook', ctx);

/** Segment pks the index finds for a word, straight from FTS5 (no catch-up). */
const found = (word: string) =>
  (
    t.db.prepare('SELECT rowid FROM fts_segments WHERE fts_segments MATCH ? ORDER BY rowid').all(`"${word}"`) as {
      rowid: number;
    }[]
  ).map((r) => r.rowid);

/** Segment pks whose text holds the word, from the table. */
const holding = (word: string) =>
  (
    t.db
      .prepare("SELECT pk FROM transcript_segments WHERE ' ' || text || ' ' LIKE ? ORDER BY pk")
      .all(`% ${word} %`) as {
      pk: number;
    }[]
  ).map((r) => r.pk);

/** FTS5's own check: the index agrees with its content table (throws if not). */
const integrityCheck = () =>
  t.db.prepare("INSERT INTO fts_segments (fts_segments, rank) VALUES ('integrity-check', 1)").run();

const watermark = () => (t.db.prepare('SELECT indexed_through AS w FROM segment_index_state').get() as { w: number }).w;

describe('segment index', () => {
  test('writers no longer index segments; catching up does, and moves the watermark', () => {
    upsert('c1', ['the quokka smiled', 'a wombat yawned']);
    expect(found('quokka')).toEqual([]);
    expect(segmentIndexBehind(t.db)).toBe(true);
    expect(segmentBacklog(t.db)).toEqual({ pending: 2, stale: 0 });

    expect(catchUpSegmentIndex(t.db)).toEqual({ caughtUp: true, rows: 2 });
    expect(found('quokka')).toEqual(holding('quokka'));
    expect(found('wombat')).toHaveLength(1);
    expect(segmentIndexBehind(t.db)).toBe(false);
    expect(watermark()).toBe((t.db.prepare('SELECT max(pk) AS m FROM transcript_segments').get() as { m: number }).m);
    integrityCheck();
  });

  test('a revision removes the replaced text and indexes the new; pks are never reused', () => {
    upsert('c1', ['the quokka smiled', 'nothing else here']);
    catchUpSegmentIndex(t.db);
    const before = (t.db.prepare('SELECT max(pk) AS m FROM transcript_segments').get() as { m: number }).m;

    // The newest rows are deleted and replaced: without AUTOINCREMENT they would get the same pks back.
    upsert('c1', ['the platypus frowned', 'nothing else here']);
    const pks = (t.db.prepare('SELECT pk FROM transcript_segments ORDER BY pk').all() as { pk: number }[]).map(
      (r) => r.pk,
    );
    expect(Math.min(...pks)).toBeGreaterThan(before);
    expect(segmentBacklog(t.db)).toEqual({ pending: 2, stale: 2 });

    catchUpSegmentIndex(t.db);
    expect(found('quokka')).toEqual([]);
    expect(found('platypus')).toEqual(holding('platypus'));
    expect(found('nothing')).toEqual(holding('nothing'));
    integrityCheck();
  });

  test('an edited segment is re-indexed with its current text, however often it changed', () => {
    upsert('c1', ['alpha one', 'beta two']);
    catchUpSegmentIndex(t.db);
    const pk = holding('alpha')[0]!;
    const edit = t.db.prepare('UPDATE transcript_segments SET text = ? WHERE pk = ?');
    edit.run('gamma three', pk);
    edit.run('delta four', pk);
    // Only the text the index holds is kept for removal.
    expect(t.db.prepare('SELECT pk, text FROM segment_index_stale').all()).toEqual([{ pk, text: 'alpha one' }]);

    catchUpSegmentIndex(t.db);
    expect(found('alpha')).toEqual([]);
    expect(found('gamma')).toEqual([]);
    expect(found('delta')).toEqual([pk]);
    integrityCheck();
  });

  test('rows deleted before they were indexed leave nothing to clean up', () => {
    upsert('c1', ['ephemeral words']);
    t.db.prepare("DELETE FROM conversations WHERE id = 'c1'").run();
    expect(segmentBacklog(t.db)).toEqual({ pending: 0, stale: 0 });
    catchUpSegmentIndex(t.db);
    expect(found('ephemeral')).toEqual([]);
    integrityCheck();
  });

  test('rows written by anyone, without telling the index, are found by the watermark', () => {
    t.db
      .prepare(
        "INSERT INTO conversations (id, created_at, content_hash, origin, updated_at) VALUES ('imp', 'x', 'h', 'import', 'x')",
      )
      .run();
    t.db
      .prepare("INSERT INTO transcript_segments (conversation_id, idx, text) VALUES ('imp', 0, 'imported aardvark')")
      .run();
    catchUpSegmentIndex(t.db);
    expect(found('aardvark')).toEqual(holding('aardvark'));
  });

  test('a large backlog is indexed in bounded chunks; a budget-limited catch-up says it is not done', async () => {
    const insert = t.db.prepare(
      "INSERT INTO transcript_segments (conversation_id, idx, text) VALUES ('big', ?, 'word' || ? || ' zebra')",
    );
    t.db.transaction(() => {
      t.db
        .prepare(
          "INSERT INTO conversations (id, created_at, content_hash, origin, updated_at) VALUES ('big', 'x', 'h', 'import', 'x')",
        )
        .run();
      for (let i = 0; i < 5_000; i++) insert.run(i, i);
    })();

    const first = indexSegmentChunk(t.db);
    expect(first.more).toBe(true);
    expect(first.rows).toBeGreaterThan(0);
    expect(first.rows).toBeLessThanOrEqual(4_096);
    expect(segmentBacklog(t.db).pending).toBe(5_000 - first.rows);

    const partial = catchUpSegmentIndex(t.db, 0);
    expect(partial.caughtUp).toBe(false);
    expect(segmentIndexBehind(t.db)).toBe(true);

    // Draining yields to the event loop between chunks (the background indexer the partial catch-up
    // kicked shares the work).
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const rows = await drainSegmentIndex(t.db);
    clearInterval(ticker);
    expect(rows).toBeGreaterThan(0);
    expect(turns).toBeGreaterThan(0);
    expect(segmentBacklog(t.db)).toEqual({ pending: 0, stale: 0 });
    expect(found('zebra')).toHaveLength(5_000);
    integrityCheck();
  });

  test('the background indexer catches up after a kick', async () => {
    upsert('c1', ['background kiwi']);
    segmentIndexer(t.db).kick();
    for (let i = 0; i < 400 && segmentIndexBehind(t.db); i++) await new Promise((r) => setTimeout(r, 5));
    expect(found('kiwi')).toEqual(holding('kiwi'));
    expect(segmentIndexer(t.db).lastError).toBeUndefined();
  });

  test('keyword search finds segments written a moment ago', () => {
    upsert('c1', ['the ocelot purred']);
    const result = keywordSearch(t.db, { query: 'ocelot', filters: { includeTrash: false }, limit: 10, offset: 0 });
    expect(result.indexing).toBeUndefined();
    expect(result.items.map((h) => [h.kind, h.id])).toEqual([['segment', 'c1#0']]);
  });

  test('any interleaving of writes, edits, deletes and partial catch-ups leaves an exact index', () => {
    const words = ['ant', 'bee', 'cat', 'dog', 'eel'];
    const text = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('upsert'),
        id: fc.integer({ min: 0, max: 3 }),
        texts: fc.array(text, { maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant('edit'), nth: fc.nat(), text }),
      fc.record({ kind: fc.constant('delete'), id: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('chunk'), ms: fc.constantFrom(0, 1, 4) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        t.close();
        t = openTestDb();
        for (const o of ops) {
          if (o.kind === 'upsert') upsert(`c${o.id}`, o.texts);
          else if (o.kind === 'delete') t.db.prepare('DELETE FROM conversations WHERE id = ?').run(`c${o.id}`);
          else if (o.kind === 'chunk') indexSegmentChunk(t.db, o.ms);
          else {
            const pks = t.db.prepare('SELECT pk FROM transcript_segments ORDER BY pk').all() as { pk: number }[];
            if (pks.length > 0)
              t.db
                .prepare('UPDATE transcript_segments SET text = ? WHERE pk = ?')
                .run(o.text, pks[o.nth % pks.length]!.pk);
          }
        }
        expect(catchUpSegmentIndex(t.db).caughtUp).toBe(true);
        integrityCheck();
        for (const w of words) expect(found(w)).toEqual(holding(w));
      }),
      { numRuns: 40 },
    );
  });
});
