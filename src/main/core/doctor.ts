// Health checks for one unlocked profile (`angel-memory doctor`, the debug page). Each check says
// whether it passed and what it saw; the report is unhealthy if any check failed.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Session } from '../profiles/vault';
import { drainSegmentIndex, segmentBacklog } from '../search/segment-index';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  profileId: string;
  healthy: boolean;
  checks: Check[];
}

const FTS_TABLES = ['fts_memories', 'fts_conversations', 'fts_segments'] as const;

function attempt(name: string, fn: () => string): Check {
  try {
    return { name, ok: true, detail: fn() };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export async function runDoctor(session: Session, keyStoreBackend: string | null): Promise<DoctorReport> {
  const { db, dir, profile } = session;
  const checks: Check[] = [];

  // Transcript segments are indexed in the background (search/segment-index.ts); FTS5's check
  // compares the index with every row, so the index is brought up to date first, chunk by chunk.
  let caughtUp = 0;
  try {
    caughtUp = await drainSegmentIndex(db);
  } catch (err) {
    checks.push({ name: 'segment-index', ok: false, detail: err instanceof Error ? err.message : String(err) });
  }

  const integrity = db.pragma('integrity_check') as { integrity_check: string }[];
  const integrityText = integrity.map((r) => r.integrity_check).join('; ');
  checks.push({ name: 'integrity_check', ok: integrityText === 'ok', detail: integrityText });

  for (const table of FTS_TABLES) {
    checks.push(
      attempt(`fts:${table}`, () => {
        // rank = 1 also compares the index against its external content table.
        db.prepare(`INSERT INTO ${table} (${table}, rank) VALUES ('integrity-check', 1)`).run();
        if (table !== 'fts_segments') return 'ok';
        const left = segmentBacklog(db);
        return `ok; ${caughtUp} segment rows indexed before the check, ${left.pending + left.stale} waiting now`;
      }),
    );
  }

  const vec = db
    .prepare(
      `SELECT (SELECT count(*) FROM embeddings) AS rows,
              (SELECT count(*) FROM vec_embeddings) AS vectors,
              (SELECT count(*) FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM vec_embeddings v WHERE v.rowid = e.pk)) AS missing,
              (SELECT count(*) FROM vec_embeddings v WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.pk = v.rowid)) AS orphans`,
    )
    .get() as { rows: number; vectors: number; missing: number; orphans: number };
  checks.push({
    name: 'vectors',
    ok: vec.missing === 0 && vec.orphans === 0,
    detail: `${vec.rows} embedding rows, ${vec.vectors} vectors, ${vec.missing} rows without a vector, ${vec.orphans} orphan vectors`,
  });

  const wal = fileSize(join(dir, 'memory.db-wal'));
  // A WAL that keeps growing means checkpoints are starved (a reader never lets go).
  checks.push({ name: 'wal', ok: wal < 256 * 1024 * 1024, detail: `${wal} bytes` });

  const outbox = db
    .prepare(
      `SELECT count(*) FILTER (WHERE state IN ('pending', 'leased')) AS pending,
              count(*) FILTER (WHERE state = 'dead') AS dead FROM outbox`,
    )
    .get() as { pending: number; dead: number };
  checks.push({
    name: 'outbox',
    ok: outbox.dead === 0,
    detail: `${outbox.pending} pending, ${outbox.dead} dead-lettered`,
  });

  let spooled = 0;
  try {
    spooled = readdirSync(join(dir, 'spool')).length;
  } catch {
    // No spool folder: nothing was received while locked.
  }
  checks.push({ name: 'spool', ok: true, detail: `${spooled} deliveries waiting` });

  const protections = [
    profile.keys.passphrase ? `passphrase (scrypt N=${profile.keys.passphrase.N})` : null,
    profile.keys.keychain ? `OS keychain (${profile.keys.keychain.backend})` : null,
    'recovery key',
  ].filter(Boolean);
  const keychainOk = !profile.keys.keychain || keyStoreBackend === profile.keys.keychain.backend;
  checks.push({
    name: 'key-store',
    ok: keychainOk,
    detail: `${protections.join(', ')}; this host's keychain: ${keyStoreBackend ?? 'none'}`,
  });

  return { profileId: profile.id, healthy: checks.every((c) => c.ok), checks };
}
