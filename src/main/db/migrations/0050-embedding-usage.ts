// Schema v50: the embedding usage meter gets a table of its own. Until now the calls and characters
// sent to an embedding provider per UTC day lived as JSON values of sync_state keys
// (`embedding.usage:<day>:<provider>`); the debug page and the budget check want to read and sum them
// by day and provider, which a real table with a primary key on (day, provider) does directly.
// Existing counts are carried over and their sync_state keys removed, so no day is counted twice.
import type Database from 'better-sqlite3-multiple-ciphers';

const sql = /* sql */ `
CREATE TABLE embedding_usage (
  day TEXT NOT NULL,
  provider TEXT NOT NULL,
  calls INTEGER NOT NULL DEFAULT 0 CHECK (calls >= 0),
  characters INTEGER NOT NULL DEFAULT 0 CHECK (characters >= 0),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (day, provider)
) WITHOUT ROWID;

-- Keys look like embedding.usage:2026-04-01:gemini; a malformed value counts as zero rather than
-- failing the whole upgrade.
INSERT INTO embedding_usage (day, provider, calls, characters, updated_at)
SELECT substr(key, 17, 10), substr(key, 28),
  max(0, coalesce(CASE WHEN json_valid(value) THEN json_extract(value, '$.calls') END, 0)),
  max(0, coalesce(CASE WHEN json_valid(value) THEN json_extract(value, '$.characters') END, 0)),
  updated_at
FROM sync_state
WHERE key GLOB 'embedding.usage:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]:?*';

DELETE FROM sync_state WHERE key GLOB 'embedding.usage:*';
`;

export function up(db: Database.Database): void {
  db.exec(sql);
}
