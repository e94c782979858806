// Schema v10: every table of the data model. Tables that are indexed by FTS5 carry an explicit
// INTEGER PRIMARY KEY (`pk`): external-content FTS tables key on rowid, and VACUUM may renumber the
// implicit rowid of a table without one. Public ids (OMI's or our ULIDs) are separate unique columns.
import type Database from 'better-sqlite3-multiple-ciphers';

export const EMBEDDING_DIMS = 768;

const sql = /* sql */ `
CREATE TABLE conversations (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  source TEXT,
  language TEXT,
  title TEXT NOT NULL DEFAULT '',
  overview TEXT NOT NULL DEFAULT '',
  emoji TEXT,
  category TEXT NOT NULL DEFAULT 'other',
  status TEXT,
  discarded INTEGER NOT NULL DEFAULT 0,
  starred INTEGER NOT NULL DEFAULT 0,
  visibility TEXT,
  geolocation TEXT,
  raw TEXT,
  content_hash TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('webhook', 'sync', 'import', 'local')),
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE INDEX conversations_by_time ON conversations (coalesce(started_at, created_at));

CREATE TABLE transcript_segments (
  pk INTEGER PRIMARY KEY,
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

-- conversation_id is a soft link: a memory may name a conversation this vault has not received yet.
CREATE TABLE memories (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  content TEXT NOT NULL,
  category TEXT NOT NULL,
  visibility TEXT NOT NULL DEFAULT 'private',
  conversation_id TEXT,
  segment_start INTEGER,
  segment_end INTEGER,
  manually_added INTEGER NOT NULL DEFAULT 0,
  reviewed INTEGER NOT NULL DEFAULT 0,
  edited INTEGER NOT NULL DEFAULT 0,
  origin TEXT NOT NULL CHECK (origin IN ('webhook', 'sync', 'import', 'local')),
  remote_id TEXT UNIQUE,
  remote_hash TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE INDEX memories_by_created ON memories (created_at);
CREATE INDEX memories_by_conversation ON memories (conversation_id);

CREATE TABLE memory_versions (
  pk INTEGER PRIMARY KEY,
  memory_id TEXT NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  content TEXT NOT NULL,
  category TEXT NOT NULL,
  visibility TEXT NOT NULL,
  tags TEXT NOT NULL,
  changed_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  UNIQUE (memory_id, version)
);

CREATE TABLE tags (
  pk INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at TEXT NOT NULL
);

CREATE TABLE memory_tags (
  memory_id TEXT NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
  tag_pk INTEGER NOT NULL REFERENCES tags (pk) ON DELETE CASCADE,
  PRIMARY KEY (memory_id, tag_pk)
) WITHOUT ROWID;
CREATE INDEX memory_tags_by_tag ON memory_tags (tag_pk);

CREATE TABLE action_items (
  pk INTEGER PRIMARY KEY,
  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
  remote_id TEXT UNIQUE,
  description TEXT NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0,
  created_at TEXT,
  updated_at TEXT,
  due_at TEXT,
  completed_at TEXT,
  origin TEXT NOT NULL,
  deleted_at TEXT
);
CREATE INDEX action_items_by_conversation ON action_items (conversation_id);

CREATE TABLE events (
  pk INTEGER PRIMARY KEY,
  conversation_id TEXT REFERENCES conversations (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  start TEXT,
  duration_minutes REAL,
  created INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_by_conversation ON events (conversation_id);

CREATE TABLE day_summaries (
  pk INTEGER PRIMARY KEY,
  summary TEXT NOT NULL,
  uid TEXT,
  created_at TEXT NOT NULL,
  received_at TEXT NOT NULL
);

-- Keyword search. External content keeps one copy of the text; triggers keep the index in step.
CREATE VIRTUAL TABLE fts_memories USING fts5 (
  content, content = 'memories', content_rowid = 'pk', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO fts_memories (rowid, content) VALUES (new.pk, new.content);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO fts_memories (fts_memories, rowid, content) VALUES ('delete', old.pk, old.content);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF content ON memories BEGIN
  INSERT INTO fts_memories (fts_memories, rowid, content) VALUES ('delete', old.pk, old.content);
  INSERT INTO fts_memories (rowid, content) VALUES (new.pk, new.content);
END;

CREATE VIRTUAL TABLE fts_conversations USING fts5 (
  title, overview, content = 'conversations', content_rowid = 'pk',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
  INSERT INTO fts_conversations (rowid, title, overview) VALUES (new.pk, new.title, new.overview);
END;
CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
  INSERT INTO fts_conversations (fts_conversations, rowid, title, overview)
    VALUES ('delete', old.pk, old.title, old.overview);
END;
CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title, overview ON conversations BEGIN
  INSERT INTO fts_conversations (fts_conversations, rowid, title, overview)
    VALUES ('delete', old.pk, old.title, old.overview);
  INSERT INTO fts_conversations (rowid, title, overview) VALUES (new.pk, new.title, new.overview);
END;

CREATE VIRTUAL TABLE fts_segments USING fts5 (
  text, content = 'transcript_segments', content_rowid = 'pk',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER segments_fts_insert AFTER INSERT ON transcript_segments BEGIN
  INSERT INTO fts_segments (rowid, text) VALUES (new.pk, new.text);
END;
CREATE TRIGGER segments_fts_delete AFTER DELETE ON transcript_segments BEGIN
  INSERT INTO fts_segments (fts_segments, rowid, text) VALUES ('delete', old.pk, old.text);
END;
CREATE TRIGGER segments_fts_update AFTER UPDATE OF text ON transcript_segments BEGIN
  INSERT INTO fts_segments (fts_segments, rowid, text) VALUES ('delete', old.pk, old.text);
  INSERT INTO fts_segments (rowid, text) VALUES (new.pk, new.text);
END;

-- Semantic search: one row per embedded item and model; the vector lives in vec_embeddings under
-- the same rowid. Items are referenced by their pk, so purging an item removes its embeddings.
CREATE TABLE embeddings (
  pk INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('memory', 'conversation', 'segment')),
  item_pk INTEGER NOT NULL,
  model TEXT NOT NULL,
  dims INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (kind, item_pk, model)
);
CREATE VIRTUAL TABLE vec_embeddings USING vec0 (embedding float[${EMBEDDING_DIMS}]);
CREATE TRIGGER embeddings_vec_delete AFTER DELETE ON embeddings BEGIN
  DELETE FROM vec_embeddings WHERE rowid = old.pk;
END;
CREATE TRIGGER memories_embeddings_delete AFTER DELETE ON memories BEGIN
  DELETE FROM embeddings WHERE kind = 'memory' AND item_pk = old.pk;
END;
CREATE TRIGGER conversations_embeddings_delete AFTER DELETE ON conversations BEGIN
  DELETE FROM embeddings WHERE kind = 'conversation' AND item_pk = old.pk;
END;
CREATE TRIGGER segments_embeddings_delete AFTER DELETE ON transcript_segments BEGIN
  DELETE FROM embeddings WHERE kind = 'segment' AND item_pk = old.pk;
END;

CREATE TABLE webhook_inbox (
  pk INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  received_at TEXT NOT NULL,
  uid TEXT,
  idempotency_key TEXT NOT NULL,
  payload_id TEXT,
  body_sha256 TEXT NOT NULL,
  body BLOB,
  status TEXT NOT NULL CHECK (status IN ('applied', 'duplicate', 'revision', 'failed')),
  error TEXT
);
CREATE INDEX webhook_inbox_by_key ON webhook_inbox (idempotency_key);
CREATE INDEX webhook_inbox_by_time ON webhook_inbox (received_at);

CREATE TABLE outbox (
  pk INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX outbox_ready ON outbox (state, next_attempt_at);

CREATE TABLE sync_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE breaker_state (
  upstream TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE audit_log (
  pk INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id TEXT,
  detail TEXT
);
CREATE INDEX audit_log_by_entity ON audit_log (entity, entity_id);

-- Per-profile settings. Secret values (API keys, webhook secrets) live only here, inside the
-- encrypted file, and are never returned to the UI.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  secret INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
`;

export function up(db: Database.Database): void {
  db.exec(sql);
}
