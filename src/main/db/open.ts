// Opens a profile's encrypted database. The cipher is SQLite3MultipleCiphers' ChaCha20-Poly1305
// ("chacha20", sqleet-compatible): every page carries a Poly1305 tag, so tampering is detected, and on
// this hardware it commits ~50% faster than the SQLCipher scheme. We never need SQLCipher tooling to
// read our files (the archive is the interchange format), so compatibility does not outweigh that.
// The key is the profile's random 256-bit master key passed raw: the expensive KDF runs once in the
// key wrap (profiles/keys.ts), not on every connection.
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import * as sqliteVec from 'sqlite-vec';
import { AppError } from '../errors';
import { migrate, type MigrateOptions } from './migrate';

export type Db = Database.Database;

export const CIPHER = { name: 'chacha20', key: 'raw-256' } as const;
export type CipherParams = typeof CIPHER;

function applyKey(db: Db, masterKey: Buffer): void {
  if (masterKey.length !== 32) throw new AppError('INTERNAL', 'master key must be 32 bytes');
  // Order matters and no transaction may be open: cipher first, then the key.
  db.pragma(`cipher = '${CIPHER.name}'`);
  db.pragma(`key = 'raw:${masterKey.toString('hex')}'`);
}

/** A wrong key only shows at the first real read, as SQLITE_NOTADB. */
function verifyKey(db: Db): void {
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB') throw new AppError('WRONG_KEY', 'the key does not open this vault');
    if (code === 'SQLITE_CORRUPT') throw new AppError('DB_CORRUPT', 'the vault database is damaged');
    throw err;
  }
}

export type OpenOptions = MigrateOptions;

export function openDatabase(path: string, masterKey: Buffer, options: OpenOptions): Db {
  const db = new Database(path);
  try {
    applyKey(db, masterKey);
    verifyKey(db);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    sqliteVec.load(db);
    // The version check happens before WAL is switched on so a refused database is never written.
    migrate(db, options);
    db.pragma('journal_mode = WAL');
    // FULL: a delivery acknowledged to OMI must survive a power cut, and OMI will not resend it.
    db.pragma('synchronous = FULL');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * A worker thread's own connection to its parent's vault (the search worker, the checkpoint
 * worker), from the path and raw key handed over in workerData; the key is zeroed once it is open.
 */
export function openWorkerConnection(start: { dbPath: string; dbKey: Uint8Array }): Db {
  const key = Buffer.from(start.dbKey);
  try {
    return openDatabase(start.dbPath, key, { snapshotDir: join(dirname(start.dbPath), 'backups') });
  } finally {
    key.fill(0);
    start.dbKey.fill(0);
  }
}
