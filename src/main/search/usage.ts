// The embedding usage meter: calls and characters sent to a provider per UTC day, and the user's daily
// budget (embedding.dailyCharacters) that pauses embedding when reached. Counts are written in the
// same transaction as the vectors they paid for, so a crash cannot lose or double them.
//
// Stored as rows of the generic key/value table sync_state (`embedding.usage:<day>:<provider>`)
// rather than a table of their own: the numbers are tiny, and a schema version for them would also
// move every other suite's "latest version" expectations. A dedicated table can come with the next
// migration that search needs anyway.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';

export interface Usage {
  calls: number;
  characters: number;
}

const day = (now: Date) => now.toISOString().slice(0, 10);
const key = (now: Date, provider: string) => `embedding.usage:${day(now)}:${provider}`;

export function usageToday(db: Db, provider: string, now: Date): Usage {
  const row = stmt(db, 'SELECT value FROM sync_state WHERE key = ?').get(key(now, provider)) as
    { value: string } | undefined;
  return row ? (JSON.parse(row.value) as Usage) : { calls: 0, characters: 0 };
}

/** Adds to today's count; call inside the transaction that stores what was paid for. */
export function addUsage(db: Db, provider: string, now: Date, add: Usage): void {
  const u = usageToday(db, provider, now);
  const value = JSON.stringify({ calls: u.calls + add.calls, characters: u.characters + add.characters });
  stmt(
    db,
    `INSERT INTO sync_state (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  ).run(key(now, provider), value, now.toISOString());
}
