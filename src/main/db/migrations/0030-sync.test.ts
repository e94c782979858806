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

test('v20 -> v30 keeps memories and outbox rows and adds the sync columns and conflicts table', () => {
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const snapshotDir = join(dir.path, 'backups');
  const v20 = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 20) });
  const now = new Date().toISOString();
  v20
    .prepare(
      "INSERT INTO memories (id, content, category, origin, remote_id, remote_hash, created_at, updated_at) VALUES ('m1', 'likes tea', 'system', 'sync', 'r1', 'h1', ?, ?)",
    )
    .run(now, now);
  v20
    .prepare(
      "INSERT INTO outbox (kind, idempotency_key, payload, state, next_attempt_at, created_at, updated_at) VALUES ('embed', 'k1', '{}', 'pending', ?, ?, ?)",
    )
    .run(now, now, now);
  v20.close();

  const db = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 30) });
  expect(schemaVersion(db)).toBe(30);
  expect(db.prepare('SELECT id, remote_id, remote_hash, remote_deleted_at FROM memories').all()).toEqual([
    { id: 'm1', remote_id: 'r1', remote_hash: 'h1', remote_deleted_at: null },
  ]);
  expect(db.prepare('SELECT idempotency_key, state, entity, first_sent_at, lease_owner FROM outbox').all()).toEqual([
    { idempotency_key: 'k1', state: 'pending', entity: null, first_sent_at: null, lease_owner: null },
  ]);
  expect(db.prepare('SELECT count(*) AS n FROM sync_conflicts').get()).toEqual({ n: 0 });
  // At most one open conflict per memory.
  const insert = db.prepare(
    "INSERT INTO sync_conflicts (memory_id, remote_id, remote_hash, remote_content, remote_category, remote_visibility, remote_tags, detected_at) VALUES ('m1', 'r1', 'h2', 'x', 'system', 'private', '[]', ?)",
  );
  insert.run(now);
  expect(() => insert.run(now)).toThrow(/UNIQUE/);
  db.close();
});
