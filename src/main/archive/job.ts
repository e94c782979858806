// One import, start to finish, on whatever thread runs it (worker.ts runs it off the main thread):
// verify the whole file first, then open this thread's own connection to the vault and apply.
//
// An `.angelmem` archive is read twice. The first pass (reader.ts verifyArchive) runs every check
// and keeps only the ids it must compare, so a bad archive is refused before the vault is opened and
// memory stays bounded by ids, not records. The second pass replays the same verified bytes (still
// re-hashed) into ONE transaction (BEGIN IMMEDIATE ... COMMIT): the import is atomic, and a failure
// on the way, even the file changing on disk between the passes, rolls everything back.
// OMI JSON files are one array parsed in memory, so they are staged and applied in one transaction.
import { dirname, join } from 'node:path';
import type { ImportReport, ImportStrategy } from '../../shared/models';
import type { ErrorCode } from '../../shared/result';
import { openDatabase, type Db } from '../db/open';
import { AppError } from '../errors';
import { Applier, applyStaged } from './apply';
import { ArchiveError, type ArchiveErrorKind, type Limits } from './format';
import { readJsonArray, stageOmiConversations, stageOmiMemories } from './omi';
import { verifyArchive, type ArchiveSource } from './reader';

export type ImportFormat = 'angelmem' | 'omi-conversations' | 'omi-memories';

export interface ImportJob {
  format: ImportFormat;
  /** The file to import; an `.angelmem` archive may also come as bytes. */
  source: ArchiveSource;
  passphrase?: string;
  /** An age X25519 identity (backups). */
  identity?: string;
  limits?: Partial<Limits>;
  /** The vault's database file and its raw 256-bit key; this thread opens its own connection. */
  dbPath: string;
  dbKey: Uint8Array;
  strategy: ImportStrategy;
  actor: string;
  /** ISO time the import is recorded at (one instant for the whole transaction). */
  at: string;
}

export type JobProgress = { phase: string; done: number; total: number | null };

function openVault(job: ImportJob): Db {
  const key = Buffer.from(job.dbKey);
  try {
    // The vault is already open (and migrated) on the main thread; this only adds a connection.
    return openDatabase(job.dbPath, key, { snapshotDir: join(dirname(job.dbPath), 'backups') });
  } finally {
    key.fill(0);
    job.dbKey.fill(0);
  }
}

export async function runImportJob(job: ImportJob, onProgress: (p: JobProgress) => void): Promise<ImportReport> {
  const ctx = { now: () => new Date(job.at), actor: job.actor };
  if (job.format !== 'angelmem') {
    if (!('path' in job.source)) throw new Error('an OMI import reads a file');
    const items = readJsonArray(job.source.path);
    const staged = job.format === 'omi-conversations' ? stageOmiConversations(items, ctx.now) : stageOmiMemories(items);
    const db = openVault(job);
    try {
      const applied = applyStaged(db, { ...staged, daySummaries: [], embeddings: [] }, job.strategy, job.format, ctx);
      const table = job.format === 'omi-conversations' ? 'conversations' : 'memories';
      const counts = applied.counts[table] ?? { inserted: 0, replaced: 0, unchanged: 0, skipped: 0, rejected: 0 };
      counts.rejected += staged.rejected.length;
      return {
        ...applied,
        counts: { ...applied.counts, [table]: counts },
        rejected: [...staged.rejected, ...applied.rejected],
      };
    } finally {
      db.close();
    }
  }

  const verified = await verifyArchive(job.source, {
    passphrase: job.passphrase,
    identity: job.identity,
    limits: job.limits,
    onProgress,
  });
  try {
    const db = openVault(job);
    try {
      onProgress({ phase: 'apply', done: 0, total: null });
      return await applyVerified(db, verified, job.strategy, ctx);
    } finally {
      db.close();
    }
  } finally {
    verified.close();
  }
}

/** The second pass: every verified record into one transaction on `db`, which nothing else uses. */
export async function applyVerified(
  db: Db,
  verified: Awaited<ReturnType<typeof verifyArchive>>,
  strategy: ImportStrategy,
  ctx: { now: () => Date; actor: string },
): Promise<ImportReport> {
  // IMMEDIATE: take the write lock now, so no other writer can change what the records are compared with.
  db.exec('BEGIN IMMEDIATE');
  try {
    const applier = new Applier(db, strategy, ctx);
    await verified.replay((r) => applier.add(r));
    const report = applier.finish('angelmem');
    db.exec('COMMIT');
    return report;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** An error as it crosses from the worker to the main thread (class identity does not survive a postMessage). */
export interface WireError {
  kind?: ArchiveErrorKind;
  detail?: string;
  code?: ErrorCode;
  message: string;
  stack?: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof ArchiveError) return { kind: err.kind, detail: err.detail, message: err.message };
  if (err instanceof AppError) return { code: err.code, message: err.message };
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, stack: e.stack };
}

export function fromWire(w: WireError): Error {
  if (w.kind) return new ArchiveError(w.kind, w.detail ?? '');
  if (w.code) return new AppError(w.code, w.message);
  const err = new Error(w.message);
  if (w.stack) err.stack = w.stack;
  return err;
}

export type WorkerRequest = { id: number; job: ImportJob };
export type WorkerReply =
  | { id: number; type: 'progress'; progress: JobProgress }
  | { id: number; type: 'done'; report: ImportReport }
  | { id: number; type: 'failed'; error: WireError };
