// Statements are prepared once per connection and reused: repos stay plain functions `(db, args)`
// without each caller holding statement objects.
import type Database from 'better-sqlite3-multiple-ciphers';

type Statement = Database.Statement<unknown[], unknown>;
const cache = new WeakMap<Database.Database, Map<string, Statement>>();

export function stmt(db: Database.Database, sql: string): Statement {
  let byText = cache.get(db);
  if (!byText) {
    byText = new Map();
    cache.set(db, byText);
  }
  let s = byText.get(sql);
  if (!s) {
    s = db.prepare(sql);
    byText.set(sql, s);
  }
  return s;
}
