// Schema v80: the three keyword indexes gain FTS5 prefix indexes for 2-, 3- and 4-character prefixes.
//
// Why: without one, FTS5 answers `mee*` by merging the doclists of every word starting with "mee"
// into one list before it returns a row, so type-ahead on a common stem cost as much as scoring every
// match: ~380 ms for "mee" on the 1,000,000-memory bench vault, where "meeting" alone takes ~1 ms.
// With the prefix index the newest matches of `mee*` stream like those of a word (~0.5 ms for 2,001
// of them over 300,000 memories, against 18 ms). Longer prefixes name few words, so they merge
// little. The cost: on 300,000 bench memories the index is ~2.6x larger and indexing a row ~1.3x
// slower; the background segment indexer's catch-up rate in the webhook bench fell from ~133,000 to
// ~49,000 segments/s (short lines, many repeated words), still ~500 deliveries/s of 93 segments,
// far above what OMI sends. Transcript lines are most of a vault's text, and one search lists all
// three kinds, so the slowest kind would set the type-ahead latency: all three get the index.
//
// FTS5 fixes its options at creation, so each table is dropped and created again under its old
// name (the triggers on memories and conversations name it and need no change):
//   - fts_memories and fts_conversations are rebuilt here from their content tables;
//   - fts_segments is left empty and its watermark reset, so the background segment indexer
//     (src/main/search/segment-index.ts) rebuilds it after unlock, a chunk at a time, while keyword
//     search answers with what is indexed and says transcripts are still being indexed.
import type Database from 'better-sqlite3-multiple-ciphers';

const FTS_PREFIX = "prefix = '2 3 4'";

const sql = /* sql */ `
DROP TABLE fts_memories;
CREATE VIRTUAL TABLE fts_memories USING fts5 (
  content, content = 'memories', content_rowid = 'pk', tokenize = 'unicode61 remove_diacritics 2', ${FTS_PREFIX}
);
INSERT INTO fts_memories (fts_memories) VALUES ('rebuild');

DROP TABLE fts_conversations;
CREATE VIRTUAL TABLE fts_conversations USING fts5 (
  title, overview, content = 'conversations', content_rowid = 'pk',
  tokenize = 'unicode61 remove_diacritics 2', ${FTS_PREFIX}
);
INSERT INTO fts_conversations (fts_conversations) VALUES ('rebuild');

DROP TABLE fts_segments;
CREATE VIRTUAL TABLE fts_segments USING fts5 (
  text, content = 'transcript_segments', content_rowid = 'pk',
  tokenize = 'unicode61 remove_diacritics 2', ${FTS_PREFIX}
);
UPDATE segment_index_state SET indexed_through = 0;
DELETE FROM segment_index_stale;
`;

export function up(db: Database.Database): void {
  db.exec(sql);
}
