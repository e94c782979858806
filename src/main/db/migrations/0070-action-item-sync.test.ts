import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '../../../../test/support/core';
import { schemaVersion } from '../migrate';
import { openDatabase } from '../open';
import { migrations } from '.';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

test('-> v70 keeps action items and their sync state and adds remote_conversation_id', () => {
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const snapshotDir = join(dir.path, 'backups');
  const before = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version < 70) });
  const from = schemaVersion(before);
  before
    .prepare(
      "INSERT INTO action_items (description, completed, origin, remote_id, remote_hash) VALUES ('Send the invoice', 1, 'sync', 'a1', 'h1')",
    )
    .run();
  before.close();

  const db = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 70) });
  expect(schemaVersion(db)).toBeGreaterThan(from);
  expect(
    db.prepare('SELECT description, completed, remote_id, remote_hash, remote_conversation_id FROM action_items').all(),
  ).toEqual([
    { description: 'Send the invoice', completed: 1, remote_id: 'a1', remote_hash: 'h1', remote_conversation_id: null },
  ]);
  db.prepare("UPDATE action_items SET remote_conversation_id = 'c1'").run();
  expect(db.prepare("SELECT count(*) AS n FROM action_items WHERE remote_conversation_id = 'c1'").get()).toEqual({
    n: 1,
  });
  db.close();
});
