import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '../../../../test/support/core';
import { drainSegmentIndex, segmentBacklog } from '../../search/segment-index';
import { schemaVersion } from '../migrate';
import { openDatabase, type Db } from '../open';
import { migrations } from '.';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

const matches = (db: Db, fts: string, q: string) =>
  (db.prepare(`SELECT rowid FROM ${fts} WHERE ${fts} MATCH ? ORDER BY rowid`).pluck().all(q) as number[]).length;
const options = (db: Db, fts: string) =>
  db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').pluck().get(fts) as string;

test('-> v80 rebuilds the keyword indexes with prefix indexes; segments are re-indexed in the background', async () => {
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const snapshotDir = join(dir.path, 'backups');
  const before = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version < 80) });
  const from = schemaVersion(before);
  before
    .prepare(
      "INSERT INTO memories (id, content, category, visibility, origin, created_at, updated_at) VALUES ('m1', 'Weekly meeting with Dana', 'system', 'private', 'local', '2026-01-01', '2026-01-01')",
    )
    .run();
  before
    .prepare(
      "INSERT INTO conversations (id, created_at, title, overview, raw, content_hash, origin, updated_at) VALUES ('c1', '2026-01-01', 'Passport renewal', 'Meeting at the office', '{}', 'h', 'webhook', '2026-01-01')",
    )
    .run();
  const seg = before.prepare(
    "INSERT INTO transcript_segments (conversation_id, idx, text, start_s, end_s) VALUES ('c1', ?, ?, 0, 1)",
  );
  seg.run(0, 'the meeting starts at noon');
  seg.run(1, 'bring the passport');
  await drainSegmentIndex(before);
  expect(matches(before, 'fts_segments', 'meeting')).toBe(1);
  before.close();

  const db = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 80) });
  expect(schemaVersion(db)).toBeGreaterThan(from);
  for (const fts of ['fts_memories', 'fts_conversations', 'fts_segments']) expect(options(db, fts)).toMatch(/prefix/);
  expect(matches(db, 'fts_memories', 'mee*')).toBe(1);
  expect(matches(db, 'fts_conversations', 'pass*')).toBe(1);
  expect(matches(db, 'fts_conversations', 'meeting')).toBe(1);
  // Segments wait for the indexer, which indexes every row again from its content table.
  expect(segmentBacklog(db).pending).toBe(2);
  expect(matches(db, 'fts_segments', 'meeting')).toBe(0);
  expect(await drainSegmentIndex(db)).toBe(2);
  expect(matches(db, 'fts_segments', 'mee*')).toBe(1);
  expect(matches(db, 'fts_segments', 'passport')).toBe(1);
  // The triggers still feed the recreated tables.
  db.prepare("UPDATE memories SET content = 'Lunch with Dana' WHERE id = 'm1'").run();
  expect(matches(db, 'fts_memories', 'mee*')).toBe(0);
  expect(matches(db, 'fts_memories', 'lun*')).toBe(1);
  for (const fts of ['fts_memories', 'fts_conversations', 'fts_segments'])
    db.prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 1)`).run();
  db.close();
});
