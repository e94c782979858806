// The embedding usage meter: calls and characters sent to a provider per UTC day (table
// embedding_usage, migration 0050), and the user's daily budget (embedding.dailyCharacters) that
// pauses embedding when reached. Counts are written in the same transaction as the vectors they paid
// for, so a crash cannot lose or double them.
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';

export interface Usage {
  calls: number;
  characters: number;
}

export const usageDay = (now: Date): string => now.toISOString().slice(0, 10);

export function usageToday(db: Db, provider: string, now: Date): Usage {
  const row = stmt(db, 'SELECT calls, characters FROM embedding_usage WHERE day = ? AND provider = ?').get(
    usageDay(now),
    provider,
  ) as Usage | undefined;
  return row ? { calls: row.calls, characters: row.characters } : { calls: 0, characters: 0 };
}

/** Adds to today's count; call inside the transaction that stores what was paid for. */
export function addUsage(db: Db, provider: string, now: Date, add: Usage): void {
  stmt(
    db,
    `INSERT INTO embedding_usage (day, provider, calls, characters, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (day, provider) DO UPDATE SET calls = calls + excluded.calls,
       characters = characters + excluded.characters, updated_at = excluded.updated_at`,
  ).run(usageDay(now), provider, add.calls, add.characters, now.toISOString());
}

/** Characters still allowed today under `dailyCharacters` (Infinity without a budget). */
export function budgetLeft(db: Db, provider: string, now: Date, dailyCharacters: number | undefined): number {
  if (dailyCharacters === undefined) return Number.POSITIVE_INFINITY;
  return Math.max(0, dailyCharacters - usageToday(db, provider, now).characters);
}
