// Schema v70: pushing action items to OMI.
//   - action_items.remote_conversation_id: the conversation OMI files a standalone action item under.
//     Standalone items are stored without the local conversation link (a conversation's upsert
//     replaces its own children wholesale), so this is how a conversation's child finds its OMI
//     copy: a change the user makes to the child is applied to that copy and pushed from there.
import type Database from 'better-sqlite3-multiple-ciphers';

const sql = /* sql */ `
ALTER TABLE action_items ADD COLUMN remote_conversation_id TEXT;
CREATE INDEX action_items_by_remote_conversation ON action_items (remote_conversation_id)
  WHERE remote_conversation_id IS NOT NULL;
`;

export function up(db: Database.Database): void {
  db.exec(sql);
}
