// Schema v30: what OMI sync needs beyond v20.
//   - remote_deleted_at on memories, conversations and action items: the item is gone from OMI (we
//     deleted it there, or sync saw it vanish). Local rows are only ever moved to the trash for it.
//   - remote_hash on action items, for the same three-way compare memories get;
//   - outbox.entity ("memory:<id>") so jobs for one item never run concurrently or out of order;
//     first_sent_at marks a job that may already have reached OMI (a create is then looked up
//     before it is sent again); lease_owner names the process holding a lease, so a restarted
//     process can take back the leases of a dead one without waiting for them to expire;
//   - an index on the first 64 characters of memory content, for lookups by exact text;
//   - sync_conflicts: a memory changed on both sides since the last sync. The local row keeps the
//     user's version, this table keeps OMI's, until the user resolves it.
import type Database from 'better-sqlite3-multiple-ciphers';

const sql = /* sql */ `
ALTER TABLE memories ADD COLUMN remote_deleted_at TEXT;
ALTER TABLE conversations ADD COLUMN remote_deleted_at TEXT;
ALTER TABLE action_items ADD COLUMN remote_hash TEXT;
ALTER TABLE action_items ADD COLUMN remote_deleted_at TEXT;

ALTER TABLE outbox ADD COLUMN entity TEXT;
ALTER TABLE outbox ADD COLUMN first_sent_at TEXT;
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
CREATE INDEX outbox_by_entity ON outbox (entity, state);

-- Finding a memory by its exact text (adopting a create whose answer was lost, spotting a twin OMI
-- already has) without scanning the table: an index on a short prefix keeps it small.
CREATE INDEX memories_by_content_prefix ON memories (substr(content, 1, 64));

CREATE TABLE sync_conflicts (
  pk INTEGER PRIMARY KEY,
  memory_id TEXT NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
  remote_id TEXT NOT NULL,
  base_hash TEXT,
  remote_hash TEXT NOT NULL,
  remote_content TEXT NOT NULL,
  remote_category TEXT NOT NULL,
  remote_visibility TEXT NOT NULL,
  remote_tags TEXT NOT NULL,
  detected_at TEXT NOT NULL,
  resolved_at TEXT,
  resolution TEXT CHECK (resolution IN ('mine', 'theirs', 'edit'))
);
CREATE UNIQUE INDEX sync_conflicts_open ON sync_conflicts (memory_id) WHERE resolved_at IS NULL;
`;

export function up(db: Database.Database): void {
  db.exec(sql);
}
