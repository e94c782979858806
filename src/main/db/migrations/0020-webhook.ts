// Schema v20: what the webhook listener needs beyond v10.
//   - conversation_revisions: the previous state of a conversation each time a delivery or sync
//     replaces it with different content, so a revision never loses what was there;
//   - live_segments: realtime transcript segments, deduplicated per session, linked later to the
//     conversation that the conversation webhook delivers;
//   - audio_chunks: raw PCM, kept only when the user turns audio storage on;
//   - size and handling time on every inbox row, for the debug page.
import type Database from 'better-sqlite3-multiple-ciphers';

const sql = /* sql */ `
CREATE TABLE conversation_revisions (
  pk INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  content_hash TEXT NOT NULL,
  title TEXT NOT NULL,
  overview TEXT NOT NULL,
  raw TEXT,
  replaced_at TEXT NOT NULL,
  replaced_by TEXT NOT NULL
);
CREATE INDEX conversation_revisions_by_conversation ON conversation_revisions (conversation_id);

CREATE TABLE live_segments (
  pk INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL,
  segment_key TEXT NOT NULL,
  text TEXT NOT NULL,
  speaker TEXT,
  speaker_id INTEGER,
  is_user INTEGER NOT NULL DEFAULT 0,
  person_id TEXT,
  start_s REAL NOT NULL DEFAULT 0,
  end_s REAL NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL,
  conversation_id TEXT,
  UNIQUE (session_id, segment_key)
);
CREATE INDEX live_segments_by_time ON live_segments (received_at);
CREATE INDEX live_segments_unlinked ON live_segments (conversation_id, received_at);

CREATE TABLE audio_chunks (
  pk INTEGER PRIMARY KEY,
  received_at TEXT NOT NULL,
  uid TEXT,
  sample_rate INTEGER,
  bytes BLOB NOT NULL
);

ALTER TABLE webhook_inbox ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_inbox ADD COLUMN handling_ms REAL;
`;

export function up(db: Database.Database): void {
  db.exec(sql);
}
