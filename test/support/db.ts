// A fresh encrypted profile database in its own temp dir, opened exactly as production opens one
// (openDatabase with a random raw 256-bit key, all migrations applied). For repo-level tests that do
// not need a whole core.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { WriteContext } from '../../src/main/db/repos/audit';
import { openDatabase, type Db } from '../../src/main/db/open';
import { tempDir } from './core';

export interface TestDb {
  db: Db;
  /** The temp directory holding the database file; removed by close(). */
  dir: string;
  /** Path of the database file inside `dir`. */
  path: string;
  key: Buffer;
  /** Closes the connection and removes the directory. Safe to call twice. */
  close(): void;
}

export function openTestDb(prefix = 'angel-memory-db-'): TestDb {
  const dir = tempDir(prefix);
  const key = randomBytes(32);
  const path = join(dir.path, 'memory.db');
  const db = openDatabase(path, key, { snapshotDir: join(dir.path, 'backups') });
  return {
    db,
    dir: dir.path,
    path,
    key,
    close() {
      if (db.open) db.close();
      dir.remove();
    },
  };
}

/** A write context with a fixed or stepping clock, so stored timestamps are predictable. */
export function testContext(
  actor = 'test',
  now: () => Date = () => new Date('2026-01-05T12:00:00.000Z'),
): WriteContext {
  return { now, actor };
}
