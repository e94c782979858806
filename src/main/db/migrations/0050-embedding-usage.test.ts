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

test('v50 moves the embedding usage counts out of sync_state into embedding_usage', () => {
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const snapshotDir = join(dir.path, 'backups');
  const before = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version < 50) });
  const previous = schemaVersion(before);
  expect(previous).toBeLessThan(50);
  const put = before.prepare('INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)');
  put.run('embedding.usage:2026-03-31:gemini', '{"calls":4,"characters":1200}', '2026-03-31T23:00:00.000Z');
  put.run('embedding.usage:2026-04-01:gemini', '{"calls":1,"characters":90}', '2026-04-01T08:00:00.000Z');
  put.run('embedding.usage:2026-04-01:ollama', '{"calls":2,"characters":30}', '2026-04-01T08:30:00.000Z');
  put.run('embedding.usage:2026-04-02:gemini', 'not json', '2026-04-02T08:00:00.000Z');
  put.run('omi.lastSuccessAt', '2026-04-01T09:00:00.000Z', '2026-04-01T09:00:00.000Z');
  before.close();

  const db = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 50) });
  expect(schemaVersion(db)).toBe(50);
  expect(
    db.prepare('SELECT day, provider, calls, characters, updated_at FROM embedding_usage ORDER BY day, provider').all(),
  ).toEqual([
    { day: '2026-03-31', provider: 'gemini', calls: 4, characters: 1200, updated_at: '2026-03-31T23:00:00.000Z' },
    { day: '2026-04-01', provider: 'gemini', calls: 1, characters: 90, updated_at: '2026-04-01T08:00:00.000Z' },
    { day: '2026-04-01', provider: 'ollama', calls: 2, characters: 30, updated_at: '2026-04-01T08:30:00.000Z' },
    { day: '2026-04-02', provider: 'gemini', calls: 0, characters: 0, updated_at: '2026-04-02T08:00:00.000Z' },
  ]);
  // The old keys are gone (nothing counts twice); other sync state is untouched.
  expect(db.prepare('SELECT key FROM sync_state').all()).toEqual([{ key: 'omi.lastSuccessAt' }]);
  // One row per day and provider, and no negative counts.
  const insert = db.prepare(
    "INSERT INTO embedding_usage (day, provider, calls, characters, updated_at) VALUES ('2026-04-01', 'gemini', 1, 1, 'x')",
  );
  expect(() => insert.run()).toThrow(/UNIQUE|PRIMARY KEY/);
  expect(() =>
    db
      .prepare(
        "INSERT INTO embedding_usage (day, provider, calls, characters, updated_at) VALUES ('2026-04-03', 'gemini', -1, 0, 'x')",
      )
      .run(),
  ).toThrow(/CHECK/);
  db.close();
});
