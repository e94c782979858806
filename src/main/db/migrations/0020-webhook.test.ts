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

test('v10 -> v20 keeps existing data and adds the webhook tables', () => {
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const snapshotDir = join(dir.path, 'backups');
  const v10 = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 10) });
  const now = new Date().toISOString();
  v10
    .prepare(
      "INSERT INTO conversations (id, created_at, title, content_hash, origin, updated_at) VALUES ('c1', ?, 'Lunch', 'h', 'webhook', ?)",
    )
    .run(now, now);
  v10
    .prepare(
      "INSERT INTO webhook_inbox (kind, received_at, idempotency_key, body_sha256, status) VALUES ('conversation', ?, 'k1', 's', 'applied')",
    )
    .run(now);
  v10.close();

  const db = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 20) });
  expect(schemaVersion(db)).toBe(20);
  expect(db.prepare('SELECT id, title FROM conversations').all()).toEqual([{ id: 'c1', title: 'Lunch' }]);
  expect(db.prepare('SELECT idempotency_key, size, handling_ms FROM webhook_inbox').all()).toEqual([
    { idempotency_key: 'k1', size: 0, handling_ms: null },
  ]);
  for (const table of ['conversation_revisions', 'live_segments', 'audio_chunks']) {
    expect(db.prepare(`SELECT count(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
  }
  db.close();
});
