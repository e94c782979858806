import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '../../../test/support/core';
import { AppError } from '../errors';
import { schemaVersion } from './migrate';
import { LATEST_VERSION, migrations, type Migration } from './migrations';
import { openDatabase, type Db } from './open';

let dir: ReturnType<typeof tempDir>;
let key: Buffer;
beforeEach(() => {
  dir = tempDir();
  key = randomBytes(32);
});
afterEach(() => dir.remove());

const v10: Migration = {
  version: 10,
  name: 'one',
  up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)'),
};
const v20: Migration = {
  version: 20,
  name: 'two',
  up: (db) => db.exec("ALTER TABLE notes ADD COLUMN lang TEXT NOT NULL DEFAULT 'en'"),
};
const v30Broken: Migration = {
  version: 30,
  name: 'broken',
  up: (db) => {
    db.exec('CREATE TABLE half_done (x)');
    throw new Error('boom');
  },
};

function open(list: readonly Migration[], snapshotDir = join(dir.path, 'backups')): Db {
  return openDatabase(join(dir.path, 'memory.db'), key, {
    snapshotDir,
    migrations: list,
    now: () => new Date('2026-01-02T03:04:05Z'),
  });
}

describe('migration runner', () => {
  test('migrates an existing database with data, after an encrypted snapshot of the old version', () => {
    const first = open([v10]);
    first.prepare('INSERT INTO notes (text) VALUES (?)').run('hello');
    first.close();

    const db = open([v10, v20]);
    expect(schemaVersion(db)).toBe(20);
    expect(db.prepare('SELECT text, lang FROM notes').get()).toEqual({ text: 'hello', lang: 'en' });
    db.close();

    const snapshots = readdirSync(join(dir.path, 'backups'));
    expect(snapshots).toEqual(['pre-migrate-v10-2026-01-02T03-04-05-000Z.db']);
    // The snapshot is encrypted with the same key and holds the old version.
    const snap = openDatabase(join(dir.path, 'backups', snapshots[0]!), key, {
      snapshotDir: join(dir.path, 'unused'),
      migrations: [v10],
    });
    expect(schemaVersion(snap)).toBe(10);
    expect(snap.prepare('SELECT text FROM notes').get()).toEqual({ text: 'hello' });
    snap.close();
    expect(() =>
      openDatabase(join(dir.path, 'backups', snapshots[0]!), randomBytes(32), { snapshotDir: dir.path }),
    ).toThrow(AppError);
  });

  test('all pending migrations run in one transaction: a failure leaves the old version intact', () => {
    const first = open([v10]);
    first.prepare('INSERT INTO notes (text) VALUES (?)').run('hello');
    first.close();
    expect(() => open([v10, v20, v30Broken])).toThrow('boom');
    const db = open([v10]);
    expect(schemaVersion(db)).toBe(10);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT * FROM notes').all()).toEqual([{ id: 1, text: 'hello' }]);
    db.close();
  });

  test('a database newer than the code is refused with DB_FROM_FUTURE', () => {
    open([v10, v20]).close();
    expect(() => open([v10])).toThrowError(expect.objectContaining({ code: 'DB_FROM_FUTURE' }) as Error);
  });

  test('a new database gets no snapshot', () => {
    open([v10]).close();
    expect(() => readdirSync(join(dir.path, 'backups'))).toThrow();
  });

  test('versions are in steps of 10 and strictly increasing', () => {
    migrations.forEach((m, i) => expect(m.version).toBe((i + 1) * 10));
    expect(LATEST_VERSION).toBe(migrations.at(-1)!.version);
  });
});

describe('schema v10', () => {
  test('creates every table of the data model, FTS indexes and the vec0 table', () => {
    const db = openDatabase(join(dir.path, 'memory.db'), key, { snapshotDir: dir.path });
    const names = new Set(
      (db.prepare('SELECT name FROM sqlite_master').all() as { name: string }[]).map((r) => r.name),
    );
    for (const table of [
      'conversations',
      'transcript_segments',
      'memories',
      'memory_versions',
      'tags',
      'memory_tags',
      'action_items',
      'events',
      'day_summaries',
      'fts_memories',
      'fts_conversations',
      'fts_segments',
      'embeddings',
      'vec_embeddings',
      'webhook_inbox',
      'outbox',
      'sync_state',
      'breaker_state',
      'audit_log',
      'settings',
    ]) {
      expect(names, table).toContain(table);
    }
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  test('FTS triggers keep the index in step; purging an item removes its embeddings and vectors', () => {
    const db = openDatabase(join(dir.path, 'memory.db'), key, { snapshotDir: dir.path });
    const now = new Date().toISOString();
    db.prepare(
      "INSERT INTO memories (id, content, category, origin, created_at, updated_at) VALUES ('m1', 'purple elephants', 'manual', 'local', ?, ?)",
    ).run(now, now);
    const match = (q: string) => db.prepare('SELECT rowid FROM fts_memories WHERE fts_memories MATCH ?').all(q).length;
    expect(match('elephants')).toBe(1);
    db.prepare("UPDATE memories SET content = 'green giraffes' WHERE id = 'm1'").run();
    expect(match('elephants')).toBe(0);
    expect(match('giraffes')).toBe(1);

    const pk = (db.prepare("SELECT pk FROM memories WHERE id = 'm1'").get() as { pk: number }).pk;
    const e = db
      .prepare(
        "INSERT INTO embeddings (kind, item_pk, model, dims, content_hash, created_at) VALUES ('memory', ?, 'm', 768, 'h', ?)",
      )
      .run(pk, now);
    db.prepare('INSERT INTO vec_embeddings (rowid, embedding) VALUES (?, ?)').run(
      BigInt(e.lastInsertRowid),
      Buffer.from(new Float32Array(768).fill(0.5).buffer),
    );
    expect(db.prepare('SELECT count(*) AS n FROM vec_embeddings').get()).toEqual({ n: 1 });
    db.prepare("DELETE FROM memories WHERE id = 'm1'").run();
    expect(match('giraffes')).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM embeddings').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM vec_embeddings').get()).toEqual({ n: 0 });
    db.close();
  });
});
