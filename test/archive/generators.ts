// fast-check generators for vault contents and a seeder that writes them with plain SQL, independent
// of the import code under test. Strings cover unicode, emoji, very long text and nulls.
import fc from 'fast-check';
import type { Db } from '../../src/main/db/open';
import { EMBEDDING_DIMS } from '../../src/main/db/migrations/0010-initial';

const text = () =>
  fc.oneof(
    { weight: 30, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 15, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    {
      weight: 8,
      arbitrary: fc.constantFrom(
        '🧠 memory 🌍',
        'naïve café',
        '漢字とかな',
        'مرحبا',
        '👩‍👩‍👧‍👦',
        '\u0000nul',
        'a\nb\r\nc\t"q"\\',
      ),
    },
    // Very long text, cheap to generate: a random unicode piece repeated.
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.integer({ min: 100, max: 1000 }))
        .map(([piece, n]) => piece.repeat(n)),
    },
  );
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 3 });
const time = fc
  .integer({ min: Date.parse('2015-01-01'), max: Date.parse('2030-01-01') })
  .map((t) => new Date(t).toISOString());
const origin = fc.constantFrom('webhook', 'sync', 'import', 'local');

export const segment = fc.record({
  segmentId: nullable(fc.string({ maxLength: 10 })),
  text: text(),
  speaker: nullable(fc.string({ maxLength: 12 })),
  speakerId: nullable(fc.integer({ min: 0, max: 9 })),
  isUser: fc.boolean(),
  personId: nullable(fc.string({ maxLength: 8 })),
  start: fc.double({ min: 0, max: 1e5, noNaN: true }),
  end: fc.double({ min: 0, max: 1e5, noNaN: true }),
});

export const conversation = fc.record({
  id: fc.uuid(),
  createdAt: time,
  startedAt: nullable(time),
  finishedAt: nullable(time),
  source: nullable(fc.constantFrom('omi', 'friend', 'phone')),
  language: nullable(fc.constantFrom('en', 'de', 'ja')),
  title: text(),
  overview: text(),
  emoji: nullable(fc.constantFrom('📦', '🚲', '🍅')),
  category: fc.constantFrom('business', 'other', 'personal'),
  status: nullable(fc.constantFrom('completed', 'processing')),
  discarded: fc.boolean(),
  starred: fc.boolean(),
  visibility: nullable(fc.constantFrom('private', 'shared')),
  geolocation: nullable(fc.constant('{"latitude":52.52,"longitude":13.405}')),
  raw: nullable(text().map((t) => JSON.stringify({ note: t }))),
  contentHash: fc.stringMatching(/^[0-9a-f]{8,64}$/),
  origin,
  updatedAt: time,
  deletedAt: nullable(time),
  segments: fc.array(segment, { maxLength: 5 }),
  actionItems: fc.array(
    fc.record({
      description: text(),
      completed: fc.boolean(),
      createdAt: nullable(time),
      dueAt: nullable(time),
      deletedAt: nullable(time),
    }),
    { maxLength: 2 },
  ),
  events: fc.array(
    fc.record({
      title: text(),
      description: text(),
      start: nullable(time),
      durationMinutes: nullable(fc.integer({ min: 0, max: 600 })),
      created: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
});

const tag = fc.constantFrom('work', 'Travel', 'family', 'ideas', 'ünïcode', '🏷️');
export const memory = fc.record({
  id: fc.uuid(),
  content: text(),
  category: fc.constantFrom('interesting', 'system', 'manual'),
  visibility: fc.constantFrom('public', 'private'),
  conversationId: nullable(fc.uuid()),
  segmentStart: nullable(fc.integer({ min: 0, max: 50 })),
  segmentEnd: nullable(fc.integer({ min: 0, max: 50 })),
  manuallyAdded: fc.boolean(),
  reviewed: fc.boolean(),
  edited: fc.boolean(),
  origin,
  remoteId: nullable(fc.uuid()),
  remoteHash: nullable(fc.stringMatching(/^[0-9a-f]{0,16}$/)),
  createdAt: time,
  updatedAt: time,
  deletedAt: nullable(time),
  tags: fc.uniqueArray(tag, { maxLength: 3, comparator: (a, b) => a.toLowerCase() === b.toLowerCase() }),
  versions: fc.array(fc.record({ content: text(), tags: fc.array(tag, { maxLength: 2 }), at: time }), { maxLength: 3 }),
  embedding: fc.option(fc.float({ noNaN: true, noDefaultInfinity: true }), { nil: null, freq: 8 }),
});

export const daySummary = fc.record({
  summary: text(),
  uid: nullable(fc.string({ maxLength: 20 })),
  createdAt: time,
  receivedAt: time,
});

const contents = (size: 'small' | 'max') =>
  fc.record({
    conversations: fc.array(conversation, { maxLength: 40, size }),
    memories: fc.array(memory, { maxLength: 440, size }),
    daySummaries: fc.array(daySummary, { maxLength: 20, size }),
  });
/** Mostly small vaults, one run in twenty up to 500 records. */
export const vault = fc.oneof({ weight: 19, arbitrary: contents('small') }, { weight: 1, arbitrary: contents('max') });
/** A vault of 400-500 records, for the explicit large example next to the random runs. */
export const largeVault = contents('max').filter(
  (v) => v.conversations.length + v.memories.length + v.daySummaries.length >= 400,
);
export type VaultContents = typeof vault extends fc.Arbitrary<infer T> ? T : never;

export function seed(db: Db, v: VaultContents): void {
  db.transaction(() => {
    for (const c of v.conversations) {
      db.prepare(
        `INSERT INTO conversations (id, created_at, started_at, finished_at, source, language, title, overview, emoji, category,
          status, discarded, starred, visibility, geolocation, raw, content_hash, origin, updated_at, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        c.id,
        c.createdAt,
        c.startedAt,
        c.finishedAt,
        c.source,
        c.language,
        c.title,
        c.overview,
        c.emoji,
        c.category,
        c.status,
        c.discarded ? 1 : 0,
        c.starred ? 1 : 0,
        c.visibility,
        c.geolocation,
        c.raw,
        c.contentHash,
        c.origin,
        c.updatedAt,
        c.deletedAt,
      );
      c.segments.forEach((g, idx) =>
        db
          .prepare(
            `INSERT INTO transcript_segments (conversation_id, idx, segment_id, text, speaker, speaker_id, is_user, person_id, start_s, end_s)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(c.id, idx, g.segmentId, g.text, g.speaker, g.speakerId, g.isUser ? 1 : 0, g.personId, g.start, g.end),
      );
      for (const a of c.actionItems) {
        db.prepare(
          `INSERT INTO action_items (conversation_id, description, completed, created_at, due_at, origin, deleted_at)
           VALUES (?, ?, ?, ?, ?, 'webhook', ?)`,
        ).run(c.id, a.description, a.completed ? 1 : 0, a.createdAt, a.dueAt, a.deletedAt);
      }
      for (const e of c.events) {
        db.prepare(
          'INSERT INTO events (conversation_id, title, description, start, duration_minutes, created) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(c.id, e.title, e.description, e.start, e.durationMinutes, e.created ? 1 : 0);
      }
      if (c.segments.length > 0 && c.starred) {
        const pk = (
          db.prepare('SELECT pk FROM transcript_segments WHERE conversation_id = ? AND idx = 0').get(c.id) as {
            pk: number;
          }
        ).pk;
        addEmbedding(db, 'segment', pk, 0.25, c.createdAt);
      }
    }
    for (const m of v.memories) {
      const { lastInsertRowid } = db
        .prepare(
          `INSERT INTO memories (id, content, category, visibility, conversation_id, segment_start, segment_end, manually_added,
          reviewed, edited, origin, remote_id, remote_hash, created_at, updated_at, deleted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          m.id,
          m.content,
          m.category,
          m.visibility,
          m.conversationId,
          m.segmentStart,
          m.segmentEnd,
          m.manuallyAdded ? 1 : 0,
          m.reviewed ? 1 : 0,
          m.edited ? 1 : 0,
          m.origin,
          m.remoteId,
          m.remoteHash,
          m.createdAt,
          m.updatedAt,
          m.deletedAt,
        );
      for (const t of m.tags) {
        db.prepare('INSERT INTO tags (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(
          t,
          m.createdAt,
        );
        db.prepare('INSERT INTO memory_tags (memory_id, tag_pk) SELECT ?, pk FROM tags WHERE name = ?').run(m.id, t);
      }
      m.versions.forEach((ver, i) =>
        db
          .prepare(
            `INSERT INTO memory_versions (memory_id, version, content, category, visibility, tags, changed_by, reason, changed_at)
           VALUES (?, ?, ?, ?, ?, ?, 'user', 'edit', ?)`,
          )
          .run(m.id, i + 1, ver.content, m.category, m.visibility, JSON.stringify(ver.tags), ver.at),
      );
      if (m.embedding !== null) addEmbedding(db, 'memory', Number(lastInsertRowid), m.embedding, m.createdAt);
    }
    for (const d of v.daySummaries) {
      db.prepare('INSERT INTO day_summaries (summary, uid, created_at, received_at) VALUES (?, ?, ?, ?)').run(
        d.summary,
        d.uid,
        d.createdAt,
        d.receivedAt,
      );
    }
  })();
}

function addEmbedding(db: Db, kind: string, itemPk: number, base: number, at: string): void {
  const v = new Float32Array(EMBEDDING_DIMS).map((_, i) => base + i / EMBEDDING_DIMS);
  const { lastInsertRowid } = db
    .prepare(
      "INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES (?, ?, 'gemini-embedding-001', ?, 'h', ?)",
    )
    .run(kind, itemPk, EMBEDDING_DIMS, at);
  db.prepare('INSERT INTO vec_embeddings (rowid, embedding) VALUES (?, ?)').run(
    BigInt(lastInsertRowid),
    Buffer.from(v.buffer),
  );
}

const TABLES = [
  'embeddings',
  'memory_tags',
  'memory_versions',
  'tags',
  'memories',
  'events',
  'action_items',
  'transcript_segments',
  'conversation_revisions',
  'conversations',
  'day_summaries',
  'audit_log',
];

/** Empties every table an archive touches, so one database serves many property runs. */
export function clear(db: Db): void {
  db.transaction(() => {
    for (const t of TABLES) db.prepare(`DELETE FROM ${t}`).run();
  })();
}
