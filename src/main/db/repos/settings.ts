// Per-profile settings, stored inside the encrypted database. Values are JSON; `secret` marks values
// (API keys, webhook secrets) that never leave the main process.
import type { Db } from '../open';
import { stmt } from '../prepared';
import { audit, type WriteContext } from './audit';

export function readSetting(db: Db, key: string): unknown {
  const row = stmt(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? (JSON.parse(row.value) as unknown) : undefined;
}

export function writeSetting(db: Db, key: string, value: unknown, secret: boolean, ctx: WriteContext): void {
  db.transaction(() => {
    stmt(
      db,
      `INSERT INTO settings (key, value, secret, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, secret = excluded.secret, updated_at = excluded.updated_at`,
    ).run(key, JSON.stringify(value), secret ? 1 : 0, ctx.now().toISOString());
    // The audit row names the key, never the value.
    audit(db, ctx, 'set', 'setting', key);
  })();
}

/** Every secret value, so the logger can learn them at unlock. */
export function secretValues(db: Db): string[] {
  const rows = stmt(db, 'SELECT value FROM settings WHERE secret = 1').all() as { value: string }[];
  return rows.map((r) => JSON.parse(r.value) as unknown).filter((v): v is string => typeof v === 'string');
}
