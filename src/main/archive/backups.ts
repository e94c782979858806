// Automatic encrypted backups. A backup is a complete `.angelmem` archive (embeddings included),
// age-encrypted to the profile's own X25519 recipient (public, in profile.json) whose identity lives
// only inside the encrypted database. So a backup can be written while the vault is open without a
// passphrase prompt, no plaintext touches disk, and only someone who can unlock the vault can restore
// it — a lost vault needs its recovery key first, exactly as the database itself does. Backups live in
// the profile's `backups/` folder beside the pre-migration snapshots and are pruned after keepDays,
// always keeping the newest. The scheduler takes its clock and timer from the host, so it is tested
// with a fake clock.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BackupInfo } from '../../shared/models';
import { readSetting } from '../db/repos/settings';
import { AppError } from '../errors';
import type { Session } from '../profiles/vault';

export const BACKUP_DEFAULTS = { intervalHours: 24, keepDays: 7 } as const;
const NAME = /^backup-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)\.angelmem\.age$/;

export const backupsDir = (session: Pick<Session, 'dir'>) => join(session.dir, 'backups');

export function backupName(at: Date): string {
  return `backup-${at.toISOString().replace(/[:.]/g, '-')}.angelmem.age`;
}

function nameDate(name: string): Date | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [day, time] = m[1]!.split('T') as [string, string];
  const [hh, mm, ss, ms] = time.replace('Z', '').split('-');
  return new Date(`${day}T${hh}:${mm}:${ss}.${ms}Z`);
}

/** Newest first. */
export function listBackups(dir: string): BackupInfo[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupInfo[] = [];
  for (const name of names) {
    const at = nameDate(name);
    if (at) out.push({ name, createdAt: at.toISOString(), bytes: statSync(join(dir, name)).size });
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

export function backupPath(dir: string, name: string): string {
  if (!NAME.test(name)) throw new AppError('BAD_INPUT', `"${name}" is not a backup name`);
  const path = join(dir, name);
  try {
    statSync(path);
  } catch {
    throw new AppError('NOT_FOUND', `no backup named ${name}`);
  }
  return path;
}

export function backupSettings(session: Session): { intervalHours: number; keepDays: number } {
  const num = (key: string, fallback: number) => {
    const v = readSetting(session.db, key);
    return typeof v === 'number' ? v : fallback;
  };
  return {
    intervalHours: num('backup.intervalHours', BACKUP_DEFAULTS.intervalHours),
    keepDays: num('backup.keepDays', BACKUP_DEFAULTS.keepDays),
  };
}

/** Removes backups older than keepDays, never the newest. Returns the names removed. */
export function pruneBackups(dir: string, keepDays: number, now: Date): string[] {
  const all = listBackups(dir);
  const cutoff = now.getTime() - keepDays * 24 * 3600 * 1000;
  const removed: string[] = [];
  for (const b of all.slice(1)) {
    if (Date.parse(b.createdAt) < cutoff) {
      rmSync(join(dir, b.name), { force: true });
      removed.push(b.name);
    }
  }
  return removed;
}

export interface SchedulerDeps {
  now: () => Date;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  /** The profiles to keep backed up: the host passes the unlocked ones. */
  profiles: () => string[];
  /** 0 turns automatic backups off for the profile. */
  intervalHours: (profileId: string) => number;
  latest: (profileId: string) => Date | null;
  backup: (profileId: string) => Promise<unknown>;
  onError: (profileId: string, err: unknown) => void;
  /** How often to look; a backup is due when the newest is older than the interval. */
  checkEveryMs?: number;
}

export interface BackupScheduler {
  /** Runs one check now (also what the timer calls). */
  tick(): Promise<void>;
  /** Stops the timer; resolves once a backup in progress has finished (a half-written one is never kept). */
  stop(): Promise<void>;
}

export function startBackupScheduler(deps: SchedulerDeps): BackupScheduler {
  const every = deps.checkEveryMs ?? 15 * 60 * 1000;
  let handle: unknown;
  let stopped = false;
  let running: Promise<void> | null = null;

  async function check(): Promise<void> {
    for (const id of deps.profiles()) {
      try {
        const hours = deps.intervalHours(id);
        if (hours <= 0) continue;
        const latest = deps.latest(id);
        if (latest && deps.now().getTime() - latest.getTime() < hours * 3600 * 1000) continue;
        await deps.backup(id);
      } catch (err) {
        deps.onError(id, err);
      }
    }
  }

  const scheduler: BackupScheduler = {
    tick() {
      running ??= check().finally(() => {
        running = null;
        if (handle !== undefined) deps.clearTimer(handle);
        if (!stopped) handle = deps.setTimer(() => void scheduler.tick(), every);
      });
      return running;
    },
    async stop() {
      stopped = true;
      if (handle !== undefined) deps.clearTimer(handle);
      await running;
    },
  };
  void scheduler.tick();
  return scheduler;
}
