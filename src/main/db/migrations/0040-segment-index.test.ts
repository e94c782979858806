import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '../../../../test/support/core';
import { catchUpSegmentIndex } from '../../search/segment-index';
import { schemaVersion } from '../migrate';
import { openDatabase } from '../open';
import { migrations } from '.';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

test('v30 -> v40 keeps segments, their pks and their index, and moves segment indexing off the triggers', () => {
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const snapshotDir = join(dir.path, 'backups');
  const v30 = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 30) });
  const now = new Date().toISOString();
  v30
    .prepare(
      "INSERT INTO conversations (id, created_at, title, content_hash, origin, updated_at) VALUES ('c1', ?, 'Lunch', 'h', 'webhook', ?)",
    )
    .run(now, now);
  const segment = v30.prepare("INSERT INTO transcript_segments (conversation_id, idx, text) VALUES ('c1', ?, ?)");
  for (const [idx, text] of [
    [0, 'we ordered the lentil soup'],
    [1, 'the waiter recommended tiramisu'],
    [2, 'this newest one is deleted'],
  ] as const)
    segment.run(idx, text);
  // The newest segment goes: v30 would hand its pk to the next insert.
  v30.prepare("DELETE FROM transcript_segments WHERE idx = 2 AND conversation_id = 'c1'").run();
  const pks = v30.prepare('SELECT pk, idx, text FROM transcript_segments ORDER BY pk').all() as {
    pk: number;
    idx: number;
    text: string;
  }[];
  v30
    .prepare(
      "INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES ('segment', ?, 'm', 768, 'h', ?)",
    )
    .run(pks[0]!.pk, now);
  v30.close();

  const db = openDatabase(path, key, { snapshotDir, migrations: migrations.filter((m) => m.version <= 40) });
  expect(schemaVersion(db)).toBe(40);
  expect(db.prepare('SELECT pk, idx, text FROM transcript_segments ORDER BY pk').all()).toEqual(pks);
  const match = (q: string) =>
    (db.prepare('SELECT rowid FROM fts_segments WHERE fts_segments MATCH ?').all(q) as { rowid: number }[]).map(
      (r) => r.rowid,
    );
  // What the old triggers indexed is still there, and everything up to the watermark is indexed.
  expect(match('lentil')).toEqual([pks[0]!.pk]);
  expect(match('deleted')).toEqual([]);
  expect(db.prepare('SELECT indexed_through AS w FROM segment_index_state').get()).toEqual({ w: pks[1]!.pk });
  db.prepare("INSERT INTO fts_segments (fts_segments, rank) VALUES ('integrity-check', 1)").run();

  const triggers = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'transcript_segments'").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .sort();
  expect(triggers).toEqual(['segments_embeddings_delete', 'segments_index_delete', 'segments_index_update']);

  // New segments land above the watermark, and from now on (AUTOINCREMENT) a pk is never handed out
  // twice, even when the newest row is deleted.
  const add = db.prepare("INSERT INTO transcript_segments (conversation_id, idx, text) VALUES ('c1', 2, ?)");
  const newest = () => (db.prepare('SELECT max(pk) AS pk FROM transcript_segments').get() as { pk: number }).pk;
  add.run('a passing thought');
  const passing = newest();
  expect(passing).toBeGreaterThan(pks[1]!.pk);
  db.prepare('DELETE FROM transcript_segments WHERE pk = ?').run(passing);
  add.run('espresso after');
  const fresh = newest();
  expect(fresh).toBeGreaterThan(passing);
  expect(match('espresso')).toEqual([]);
  expect(catchUpSegmentIndex(db).caughtUp).toBe(true);
  expect(match('espresso')).toEqual([fresh]);

  // Constraints and the other trigger came along: unique (conversation, idx), the cascade from the
  // conversation, and a purged segment takes its embedding with it.
  expect(() =>
    db.prepare("INSERT INTO transcript_segments (conversation_id, idx, text) VALUES ('c1', 0, 'twin')").run(),
  ).toThrow(/UNIQUE/);
  expect(() =>
    db.prepare("INSERT INTO transcript_segments (conversation_id, idx, text) VALUES ('nope', 9, 'orphan')").run(),
  ).toThrow(/FOREIGN KEY/);
  db.prepare("DELETE FROM conversations WHERE id = 'c1'").run();
  expect(db.prepare('SELECT count(*) AS n FROM transcript_segments').get()).toEqual({ n: 0 });
  expect(db.prepare('SELECT count(*) AS n FROM embeddings').get()).toEqual({ n: 0 });
  catchUpSegmentIndex(db);
  expect(match('lentil')).toEqual([]);
  db.prepare("INSERT INTO fts_segments (fts_segments, rank) VALUES ('integrity-check', 1)").run();
  expect(db.pragma('foreign_key_check')).toEqual([]);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
});
