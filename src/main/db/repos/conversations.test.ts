import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openTestDb, testContext, type TestDb } from '../../../../test/support/db';
import { AppError } from '../../errors';
import { catchUpSegmentIndex } from '../../search/segment-index';
import { normalizeOmiConversation, type NormalizedConversation } from '../../webhook/omi-conversation';
import { auditFor } from './audit';
import { conversationHash, getConversation, listConversations, upsertConversation } from './conversations';

type Json = Record<string, unknown>;

const body = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/conversation-created.json', import.meta.url), 'utf8'),
) as Json;
const ID = body.id as string;

function normalized(input: unknown): NormalizedConversation {
  const result = normalizeOmiConversation(input);
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** The fixture with its transcript replaced by these texts. */
function withSegments(texts: string[], extra: Json = {}): NormalizedConversation {
  return normalized({
    ...body,
    ...extra,
    transcript_segments: texts.map((text, i) => ({ text, speaker_id: i % 2, start: i * 5, end: i * 5 + 4 })),
  });
}

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
});
afterEach(() => t.close());

const ctx = testContext('webhook');

function count(sql: string, ...args: unknown[]): number {
  return (t.db.prepare(sql).get(...args) as { n: number }).n;
}

/** What the segment index finds, once the background indexer has caught up. */
function ftsSegments(word: string): number[] {
  expect(catchUpSegmentIndex(t.db).caughtUp).toBe(true);
  return (
    t.db.prepare('SELECT rowid FROM fts_segments WHERE fts_segments MATCH ? ORDER BY rowid').all(word) as {
      rowid: number;
    }[]
  ).map((r) => r.rowid);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

describe('upsertConversation', () => {
  test('stores a new conversation with its children and one audit row', () => {
    expect(upsertConversation(t.db, normalized(body), 'webhook', ctx)).toEqual({ id: ID, outcome: 'created' });
    const c = getConversation(t.db, ID);
    expect(c).toMatchObject({
      id: ID,
      title: 'Vendor call about the spring hardware order',
      category: 'business',
      source: 'omi',
      language: 'en',
      status: 'completed',
      startedAt: '2026-01-05T11:02:10.000Z',
      createdAt: '2026-01-05T11:25:43.120Z',
      origin: 'webhook',
      starred: false,
      deletedAt: null,
    });
    expect(c.segments.map((g) => [g.index, g.speakerId, g.isUser])).toEqual([
      [0, 0, true],
      [1, 1, false],
      [2, 0, true],
    ]);
    expect(c.actionItems).toEqual([
      expect.objectContaining({
        description: 'Send Dana the revised pricing sheet by Thursday',
        completed: false,
        dueAt: '2026-01-08T17:00:00.000Z',
      }),
    ]);
    expect(c.events).toEqual([expect.objectContaining({ title: 'Logistics follow-up', durationMinutes: 30 })]);
    expect(auditFor(t.db, 'conversation', ID).map((a) => [a.action, a.actor])).toEqual([['create', 'webhook']]);
  });

  test('is idempotent: the same payload again is unchanged and writes no second audit row', () => {
    upsertConversation(t.db, normalized(body), 'webhook', ctx);
    const before = t.db.prepare('SELECT * FROM conversations WHERE id = ?').get(ID);
    const segmentPks = t.db.prepare('SELECT pk FROM transcript_segments ORDER BY pk').all();

    // A re-delivery is a fresh parse of the same body, not the same object.
    const again = normalized(JSON.parse(JSON.stringify(body)));
    expect(upsertConversation(t.db, again, 'webhook', ctx)).toEqual({ id: ID, outcome: 'unchanged' });
    expect(upsertConversation(t.db, again, 'sync', ctx).outcome).toBe('unchanged');

    expect(auditFor(t.db, 'conversation', ID)).toHaveLength(1);
    expect(t.db.prepare('SELECT * FROM conversations WHERE id = ?').get(ID)).toEqual(before);
    // Children were not rewritten either.
    expect(t.db.prepare('SELECT pk FROM transcript_segments ORDER BY pk').all()).toEqual(segmentPks);
    expect(count('SELECT count(*) AS n FROM conversations')).toBe(1);
  });

  test('a changed payload is an update that replaces the children wholesale', () => {
    upsertConversation(t.db, normalized(body), 'webhook', ctx);
    expect(count('SELECT count(*) AS n FROM transcript_segments WHERE conversation_id = ?', ID)).toBe(3);

    const changed = withSegments(['first of two', 'second of two'], {
      structured: { ...(body.structured as Json), title: 'Renamed', action_items: [], events: [] },
    });
    expect(upsertConversation(t.db, changed, 'webhook', ctx)).toEqual({ id: ID, outcome: 'updated' });

    const c = getConversation(t.db, ID);
    expect(c.title).toBe('Renamed');
    expect(c.segments.map((g) => g.text)).toEqual(['first of two', 'second of two']);
    expect(c.actionItems).toEqual([]);
    expect(c.events).toEqual([]);
    expect(count('SELECT count(*) AS n FROM transcript_segments WHERE conversation_id = ?', ID)).toBe(2);
    expect(count('SELECT count(*) AS n FROM action_items')).toBe(0);
    expect(count('SELECT count(*) AS n FROM events')).toBe(0);
    expect(count('SELECT count(*) AS n FROM conversations')).toBe(1);
    expect(auditFor(t.db, 'conversation', ID).map((a) => a.action)).toEqual(['create', 'update']);

    // And the segment count follows every revision, growing as well as shrinking.
    upsertConversation(t.db, withSegments(['a', 'b', 'c', 'd', 'e']), 'webhook', ctx);
    expect(getConversation(t.db, ID).segments).toHaveLength(5);
    upsertConversation(t.db, withSegments([]), 'webhook', ctx);
    expect(getConversation(t.db, ID).segments).toHaveLength(0);
    expect(count('SELECT count(*) AS n FROM transcript_segments')).toBe(0);
  });

  test('a re-delivery that changes only fields we do not parse still refreshes the stored raw payload', () => {
    upsertConversation(t.db, normalized(body), 'webhook', ctx);
    const revised = { ...body, apps_results: [{ app_id: 'summarizer', content: 'A new app result' }] };
    expect(upsertConversation(t.db, normalized(revised), 'webhook', ctx).outcome).toBe('updated');
    const { raw } = t.db.prepare('SELECT raw FROM conversations WHERE id = ?').get(ID) as { raw: string };
    expect(JSON.parse(raw)).toEqual(revised);
  });

  test('stores every segment field as sent: types, nulls, unicode and order', () => {
    const segments = [
      {
        id: 'seg-1',
        text: 'Café 🙂 naïve "quoted" \\ back\nline',
        speaker: 'SPEAKER_1',
        speaker_id: 1,
        is_user: true,
        person_id: 'p-9',
        start: 0,
        end: 2.5,
      },
      { text: '日本語の文', speaker: null, speaker_id: null, is_user: false, person_id: null, start: 3.25, end: 7 },
      { id: 42, text: '', start: 1e6, end: 1e6 + 0.125 },
    ];
    upsertConversation(t.db, normalized({ ...body, transcript_segments: segments }), 'webhook', ctx);
    const rows = t.db
      .prepare(
        `SELECT idx, segment_id, text, speaker, speaker_id, is_user, person_id, start_s, end_s,
                typeof(speaker_id) AS id_type, typeof(start_s) AS start_type
         FROM transcript_segments WHERE conversation_id = ? ORDER BY idx`,
      )
      .all(ID);
    expect(rows).toEqual([
      {
        idx: 0,
        segment_id: 'seg-1',
        text: segments[0]!.text,
        speaker: 'SPEAKER_1',
        speaker_id: 1,
        is_user: 1,
        person_id: 'p-9',
        start_s: 0,
        end_s: 2.5,
        id_type: 'integer',
        start_type: 'real',
      },
      {
        idx: 1,
        segment_id: null,
        text: '日本語の文',
        speaker: null,
        speaker_id: null,
        is_user: 0,
        person_id: null,
        start_s: 3.25,
        end_s: 7,
        id_type: 'null',
        start_type: 'real',
      },
      {
        idx: 2,
        segment_id: '42',
        text: '',
        speaker: null,
        speaker_id: null,
        is_user: 0,
        person_id: null,
        start_s: 1e6,
        end_s: 1e6 + 0.125,
        id_type: 'null',
        start_type: 'real',
      },
    ]);
  });

  test('a conversation stored under the earlier content hash is recognised as unchanged, and its hash updated', () => {
    const c = normalized(body);
    upsertConversation(t.db, c, 'webhook', ctx);
    // The hash earlier versions stored: the parsed fields and the payload together.
    const legacy = createHash('sha256').update(JSON.stringify(c)).digest('hex');
    t.db.prepare('UPDATE conversations SET content_hash = ? WHERE id = ?').run(legacy, ID);
    const segmentPks = t.db.prepare('SELECT pk FROM transcript_segments ORDER BY pk').all();

    expect(upsertConversation(t.db, normalized(structuredClone(body)), 'sync', ctx).outcome).toBe('unchanged');
    expect(t.db.prepare('SELECT pk FROM transcript_segments ORDER BY pk').all()).toEqual(segmentPks);
    expect(count('SELECT count(*) AS n FROM conversation_revisions')).toBe(0);
    expect(auditFor(t.db, 'conversation', ID)).toHaveLength(1);
    const { content_hash } = t.db.prepare('SELECT content_hash FROM conversations WHERE id = ?').get(ID) as {
      content_hash: string;
    };
    expect(content_hash).toBe(conversationHash(c));
    expect(content_hash).not.toBe(legacy);
    // A real change under a legacy hash is still a revision.
    t.db.prepare('UPDATE conversations SET content_hash = ? WHERE id = ?').run(legacy, ID);
    expect(upsertConversation(t.db, withSegments(['changed']), 'sync', ctx).outcome).toBe('updated');
    expect(count('SELECT count(*) AS n FROM conversation_revisions')).toBe(1);
  });

  test('the segment index finds a word after insert and forgets it once the segment is replaced', () => {
    upsertConversation(t.db, withSegments(['the quokka smiled', 'nothing else here']), 'webhook', ctx);
    const pk = (
      t.db.prepare('SELECT pk FROM transcript_segments WHERE conversation_id = ? AND idx = 0').get(ID) as { pk: number }
    ).pk;
    expect(ftsSegments('quokka')).toEqual([pk]);
    expect(ftsSegments('platypus')).toEqual([]);

    upsertConversation(t.db, withSegments(['the platypus frowned', 'nothing else here']), 'webhook', ctx);
    expect(ftsSegments('quokka')).toEqual([]);
    const platypus = ftsSegments('platypus');
    expect(platypus).toHaveLength(1);
    expect(
      t.db.prepare('SELECT text FROM transcript_segments WHERE pk = ?').get(platypus[0]) as { text: string },
    ).toEqual({ text: 'the platypus frowned' });
    // The unchanged second segment is still indexed exactly once.
    expect(ftsSegments('nothing')).toHaveLength(1);
    // The index agrees with its content table (FTS5's own consistency check throws if not).
    t.db.prepare("INSERT INTO fts_segments (fts_segments, rank) VALUES ('integrity-check', 1)").run();
  });
});

describe('listConversations', () => {
  const starts = [
    ['c-1', '2026-01-01T09:00:00Z'],
    ['c-2', '2026-01-03T09:00:00Z'],
    ['c-3', '2026-01-02T09:00:00Z'],
    ['c-4', '2026-01-05T09:00:00Z'],
    ['c-5', '2026-01-04T09:00:00Z'],
  ] as const;

  beforeEach(() => {
    for (const [id, startedAt] of starts) {
      upsertConversation(
        t.db,
        normalized({ id, started_at: startedAt, created_at: startedAt, structured: { title: id } }),
        'sync',
        ctx,
      );
    }
  });

  test('orders by start time, newest first', () => {
    const { items, total } = listConversations(t.db, { trash: false, limit: 50, offset: 0 });
    expect(total).toBe(5);
    expect(items.map((c) => c.id)).toEqual(['c-4', 'c-5', 'c-2', 'c-3', 'c-1']);
    expect(items[0]).toMatchObject({ title: 'c-4', startedAt: '2026-01-05T09:00:00.000Z', origin: 'sync' });
  });

  test('falls back to the creation time when a conversation has no start time', () => {
    upsertConversation(t.db, normalized({ id: 'no-start', created_at: '2026-01-03T12:00:00Z' }), 'webhook', ctx);
    const ids = listConversations(t.db, { trash: false, limit: 50, offset: 0 }).items.map((c) => c.id);
    expect(ids).toEqual(['c-4', 'c-5', 'no-start', 'c-2', 'c-3', 'c-1']);
  });

  test('pages with limit and offset; the total counts every conversation', () => {
    const page = (offset: number) => listConversations(t.db, { trash: false, limit: 2, offset });
    expect(page(0)).toMatchObject({ total: 5 });
    expect(page(0).items.map((c) => c.id)).toEqual(['c-4', 'c-5']);
    expect(page(2).items.map((c) => c.id)).toEqual(['c-2', 'c-3']);
    expect(page(4).items.map((c) => c.id)).toEqual(['c-1']);
    expect(page(6)).toEqual({ items: [], total: 5 });
  });

  test('the trash view lists only soft-deleted conversations', () => {
    t.db.prepare("UPDATE conversations SET deleted_at = '2026-01-06T00:00:00Z' WHERE id = 'c-2'").run();
    const live = listConversations(t.db, { trash: false, limit: 50, offset: 0 });
    const trash = listConversations(t.db, { trash: true, limit: 50, offset: 0 });
    expect(live.total).toBe(4);
    expect(live.items.map((c) => c.id)).not.toContain('c-2');
    expect(trash).toMatchObject({ total: 1, items: [{ id: 'c-2', deletedAt: '2026-01-06T00:00:00Z' }] });
  });
});

describe('getConversation', () => {
  test('a missing id is an AppError NOT_FOUND', () => {
    const err = thrown(() => getConversation(t.db, 'no-such-conversation'));
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('NOT_FOUND');
    expect((err as AppError).message).toContain('no-such-conversation');
  });
});
