// Schema v40: transcript segments leave the FTS triggers and are indexed in the background.
//
// Why: a webhook delivery carries ~90 segments, and tokenizing them into fts_segments inside the
// acknowledgement transaction cost more than the durable commit itself. The index is now brought up
// to date by src/main/search/segment-index.ts in small chunks after commits, and keyword search
// catches up a small tail before it queries, so results stay consistent.
//
//   - transcript_segments is rebuilt with AUTOINCREMENT (pks kept): a segment's pk is then never
//     reused, even after the newest rows are deleted (a revision replaces every segment of a
//     conversation), so a watermark over pks can never skip a row.
//   - segment_index_state.indexed_through: every segment with pk <= it is in fts_segments. Existing
//     rows were indexed by the old triggers, so it starts at the current maximum.
//   - segment_index_stale: an indexed segment that is deleted or whose text changes leaves the text
//     the index holds for it here (the first one, which is what FTS5's 'delete' needs); the indexer
//     removes it from the index and re-indexes the current text when the row still exists. Segments
//     above the watermark need nothing: the indexer never saw them and will read their current text.
//   - the three segments_fts_* triggers are dropped; fts_segments itself is kept as it is.
import type Database from 'better-sqlite3-multiple-ciphers';

const COLUMNS = 'pk, conversation_id, idx, segment_id, text, speaker, speaker_id, is_user, person_id, start_s, end_s';

const sql = /* sql */ `
DROP TRIGGER segments_fts_insert;
DROP TRIGGER segments_fts_delete;
DROP TRIGGER segments_fts_update;

CREATE TABLE transcript_segments_v40 (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE ON UPDATE CASCADE,
  idx INTEGER NOT NULL,
  segment_id TEXT,
  text TEXT NOT NULL,
  speaker TEXT,
  speaker_id INTEGER,
  is_user INTEGER NOT NULL DEFAULT 0,
  person_id TEXT,
  start_s REAL NOT NULL DEFAULT 0,
  end_s REAL NOT NULL DEFAULT 0,
  UNIQUE (conversation_id, idx)
);
INSERT INTO transcript_segments_v40 (${COLUMNS}) SELECT ${COLUMNS} FROM transcript_segments ORDER BY pk;
DROP TABLE transcript_segments;
ALTER TABLE transcript_segments_v40 RENAME TO transcript_segments;
CREATE TRIGGER segments_embeddings_delete AFTER DELETE ON transcript_segments BEGIN
  DELETE FROM embeddings WHERE kind = 'segment' AND item_pk = old.pk;
END;

CREATE TABLE segment_index_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL
);
INSERT INTO segment_index_state (id, indexed_through) SELECT 1, coalesce(max(pk), 0) FROM transcript_segments;

CREATE TABLE segment_index_stale (
  pk INTEGER PRIMARY KEY,
  text TEXT NOT NULL
);
CREATE TRIGGER segments_index_delete AFTER DELETE ON transcript_segments
WHEN old.pk <= (SELECT indexed_through FROM segment_index_state WHERE id = 1) BEGIN
  INSERT OR IGNORE INTO segment_index_stale (pk, text) VALUES (old.pk, old.text);
END;
CREATE TRIGGER segments_index_update AFTER UPDATE OF text ON transcript_segments
WHEN old.text IS NOT new.text AND old.pk <= (SELECT indexed_through FROM segment_index_state WHERE id = 1) BEGIN
  INSERT OR IGNORE INTO segment_index_stale (pk, text) VALUES (old.pk, old.text);
END;
`;

export function up(db: Database.Database): void {
  db.exec(sql);
}
