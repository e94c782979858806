// What the archive folder offers the core: export (`.angelmem`, optionally age-encrypted, or a
// Markdown folder), import (`.angelmem`, OMI conversations, OMI memories) with a report, a manifest
// preview, and encrypted automatic backups with a scheduler the hosts start. Long operations report
// progress through `onProgress`, which the core turns into `archive.progress` events. Imports run
// on the archive worker thread (pool.ts), so the main thread's event loop stays free while they do.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ArchiveFilter,
  ArchivePreview,
  ArchiveProgress,
  BackupInfo,
  ExportResult,
  ImportReport,
  ImportStrategy,
} from '../../shared/models';
import type { WriteContext } from '../db/repos/audit';
import { readSetting } from '../db/repos/settings';
import { AppError } from '../errors';
import type { Logger } from '../logging';
import { SPOOL_IDENTITY_KEY, type Session, type Vault } from '../profiles/vault';
import { databasePath } from '../profiles/registry';
import { segmentIndexer } from '../search/segment-index';
import {
  backupName,
  backupPath,
  backupSettings,
  backupsDir,
  listBackups,
  pruneBackups,
  startBackupScheduler,
  type BackupScheduler,
} from './backups';
import { exportArchive } from './export';
import type { ImportFormat, ImportJob } from './job';
import { exportMarkdown } from './markdown';
import { createImportPool } from './pool';
import { inspectArchive, verifyArchive } from './reader';

export { ArchiveError } from './format';
export type { BackupScheduler } from './backups';

export type { ImportFormat } from './job';

export interface ArchiveServiceDeps {
  vault: Vault;
  now: () => Date;
  logger: Logger;
  onProgress: (p: ArchiveProgress) => void;
  /** age scrypt work factor for passphrase-encrypted archives; the default (18) unless a test lowers it. */
  ageWorkFactor?: number;
}

export type RestoreTarget =
  | { kind: 'existing'; profileId: string; strategy: ImportStrategy }
  | { kind: 'new'; name: string; protection: { kind: 'passphrase'; passphrase: string } | { kind: 'keychain' } };

export function createArchiveService(deps: ArchiveServiceDeps) {
  const log = deps.logger.child({ module: 'archive' });
  // Imports run on a worker thread with its own connection (pool.ts).
  const pool = createImportPool();

  /** Imports into an unlocked profile through the worker. */
  async function importInto(
    profileId: string,
    input: Pick<ImportJob, 'format' | 'source' | 'passphrase' | 'identity' | 'strategy'>,
    ctx: WriteContext,
    onProgress: (p: { phase: string; done: number; total: number | null }) => void,
  ): Promise<ImportReport> {
    const session = deps.vault.session(profileId);
    const report = await pool.run(
      {
        ...input,
        dbPath: databasePath(session.dir),
        // A fresh 32-byte array: a pooled Buffer would post its whole 8 KiB pool to the worker.
        dbKey: new Uint8Array(session.dbKey),
        actor: ctx.actor,
        at: ctx.now().toISOString(),
      },
      onProgress,
    );
    // Imported transcript segments reach keyword search through the background indexer: start it now.
    if (deps.vault.isUnlocked(session.profile.id)) segmentIndexer(deps.vault.session(session.profile.id).db).kick();
    return report;
  }
  const progress =
    (profileId: string, operation: ArchiveProgress['operation']) =>
    (p: { phase: string; done: number; total: number | null }) =>
      deps.onProgress({ profileId, operation, ...p });

  async function backupNow(profileId: string): Promise<BackupInfo> {
    const session = deps.vault.session(profileId);
    const dir = backupsDir(session);
    const at = deps.now();
    const path = join(dir, backupName(at));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await exportArchive(session.db, path, {
      profile: { id: session.profile.id, name: session.profile.name },
      filter: { embeddings: true },
      encryption: { kind: 'recipient', recipient: session.profile.webhook.spoolRecipient },
      now: () => at,
      onProgress: progress(session.profile.id, 'backup'),
    });
    const removed = pruneBackups(dir, backupSettings(session).keepDays, at);
    log.info({ profileId: session.profile.id, removed: removed.length }, 'backup written');
    return { name: backupName(at), createdAt: at.toISOString(), bytes: statSync(path).size };
  }

  function identityOf(session: Session): string {
    const identity = readSetting(session.db, SPOOL_IDENTITY_KEY);
    if (typeof identity !== 'string') throw new AppError('INTERNAL', 'this profile has no backup identity');
    return identity;
  }

  return {
    async exportTo(
      profileId: string,
      input: { path: string; format: 'angelmem' | 'markdown'; passphrase?: string; filter?: ArchiveFilter },
    ): Promise<ExportResult> {
      const session = deps.vault.session(profileId);
      const onProgress = progress(session.profile.id, 'export');
      if (input.format === 'markdown') {
        if (input.passphrase !== undefined) throw new AppError('BAD_INPUT', 'a Markdown export cannot be encrypted');
        const { counts } = await exportMarkdown(session.db, input.path, { filter: input.filter, onProgress });
        return { path: input.path, format: 'markdown', encrypted: false, bytes: 0, counts };
      }
      const { bytes, counts } = await exportArchive(session.db, input.path, {
        profile: { id: session.profile.id, name: session.profile.name },
        filter: input.filter,
        encryption:
          input.passphrase === undefined
            ? undefined
            : { kind: 'passphrase', passphrase: input.passphrase, workFactor: deps.ageWorkFactor },
        now: deps.now,
        onProgress,
      });
      log.info({ profileId: session.profile.id, counts, encrypted: input.passphrase !== undefined }, 'exported');
      return { path: input.path, format: 'angelmem', encrypted: input.passphrase !== undefined, bytes, counts };
    },

    async importFrom(
      profileId: string,
      input: { path: string; format: ImportFormat; strategy: ImportStrategy; passphrase?: string },
      ctx: WriteContext,
    ): Promise<ImportReport> {
      const session = deps.vault.session(profileId);
      const onProgress = progress(session.profile.id, 'import');
      const report = await importInto(
        session.profile.id,
        { format: input.format, source: { path: input.path }, passphrase: input.passphrase, strategy: input.strategy },
        ctx,
        onProgress,
      );
      onProgress({ phase: 'done', done: 1, total: 1 });
      log.info({ profileId: session.profile.id, format: input.format, changed: report.changed }, 'imported');
      return report;
    },

    async inspect(input: { path: string; passphrase?: string }): Promise<ArchivePreview> {
      const { manifest, encrypted } = await inspectArchive({ path: input.path }, { passphrase: input.passphrase });
      return {
        format: manifest.format,
        formatVersion: manifest.formatVersion,
        appVersion: manifest.appVersion,
        createdAt: manifest.createdAt,
        profile: manifest.profile,
        encrypted,
        counts: manifest.counts,
        entries: manifest.entries.map(({ name, records, bytes }) => ({ name, records, bytes })),
      };
    },

    backupNow,

    listBackups(profileId: string): BackupInfo[] {
      return listBackups(backupsDir(deps.vault.session(profileId)));
    },

    /**
     * Restores a backup of `profileId` (which must be unlocked: its identity opens the backup) into
     * that profile, another unlocked one, or a new profile created here.
     */
    async restoreBackup(
      profileId: string,
      name: string,
      into: RestoreTarget,
      ctx: WriteContext,
    ): Promise<{ profileId: string; recoveryKey: string | null; report: ImportReport }> {
      const source = deps.vault.session(profileId);
      const job = {
        format: 'angelmem',
        source: { path: backupPath(backupsDir(source), name) },
        identity: identityOf(source),
      } as const;
      const onProgress = progress(source.profile.id, 'restore');
      if (into.kind === 'existing') {
        const target = deps.vault.session(into.profileId);
        const report = await importInto(target.profile.id, { ...job, strategy: into.strategy }, ctx, onProgress);
        return { profileId: target.profile.id, recoveryKey: null, report };
      }
      // The backup is verified in full before the new profile exists, so a bad backup creates nothing
      // (this pass yields between chunks; the worker verifies again before it applies).
      (await verifyArchive(job.source, { identity: job.identity, onProgress })).close();
      const created = await deps.vault.create(into.name, into.protection);
      const report = await importInto(created.profile.id, { ...job, strategy: 'skip' }, ctx, onProgress);
      return { profileId: created.profile.id, recoveryKey: created.recoveryKey, report };
    },

    /** For hosts (serve, Electron): backs up the unlocked profiles when due. */
    startScheduler(host: {
      setTimer: (fn: () => void, ms: number) => unknown;
      clearTimer: (handle: unknown) => void;
      profiles: () => string[];
      checkEveryMs?: number;
    }): BackupScheduler {
      return startBackupScheduler({
        ...host,
        now: deps.now,
        intervalHours: (id) => backupSettings(deps.vault.session(id)).intervalHours,
        latest: (id) => {
          const newest = listBackups(backupsDir(deps.vault.session(id)))[0];
          return newest ? new Date(newest.createdAt) : null;
        },
        backup: backupNow,
        onError: (id, err) => log.error({ err, profileId: id }, 'automatic backup failed'),
      });
    },
  };
}

export type ArchiveService = ReturnType<typeof createArchiveService>;
