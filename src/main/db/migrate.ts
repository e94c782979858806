// Schema migrations on PRAGMA user_version. Versions go in steps of 10, one file each, append-only.
// All pending migrations run in one transaction: a crash leaves the old version intact. Before an
// existing database is migrated an encrypted copy is written with VACUUM INTO (db.backup() cannot
// copy an encrypted database). A database from a newer version of the app is refused untouched.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { AppError } from '../errors';
import { migrations as defaultMigrations, type Migration } from './migrations';

export interface MigrateOptions {
  /** Folder for the pre-migration snapshot. */
  snapshotDir: string;
  now?: () => Date;
  migrations?: readonly Migration[];
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Database.Database, options: MigrateOptions): { from: number; to: number } {
  const list = options.migrations ?? defaultMigrations;
  const latest = list.at(-1)?.version ?? 0;
  const from = schemaVersion(db);
  if (from > latest) {
    throw new AppError(
      'DB_FROM_FUTURE',
      `this vault was written by a newer version of Angel Memory (schema ${from}, this app knows up to ${latest}); update the app to open it`,
    );
  }
  const pending = list.filter((m) => m.version > from);
  if (pending.length === 0) return { from, to: from };

  if (from > 0) {
    mkdirSync(options.snapshotDir, { recursive: true });
    const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
    const target = join(options.snapshotDir, `pre-migrate-v${from}-${stamp}.db`);
    db.prepare('VACUUM INTO ?').run(target);
  }

  db.transaction(() => {
    for (const m of pending) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  })();
  return { from, to: latest };
}
