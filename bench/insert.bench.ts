// Durable write throughput and unlock costs, reported as numbers and ratios, never as pass/fail of a
// test: timing depends on the machine, so the only assertions here are about behaviour (row counts,
// matching pragmas, the wrong passphrase being refused).
//
// 1. Single-memory durable inserts through the repo layer (createMemory with two tags, each call its
//    own transaction) in a vault opened by openDatabase (chacha20, WAL, synchronous=FULL), against a raw
//    baseline measured in the same run: one prepared INSERT into the same memories table (same schema,
//    same FTS triggers, same pragmas) per transaction, on a connection set up by hand. Rounds of the
//    two alternate so drift in disk speed hits both; the medians are compared. Target: repo >= 0.5 x raw.
// 2. Unlock: scrypt passphrase unwrap with the production parameters, the time to refuse a wrong
//    passphrase (must stay under 1 s), and the time to open a vault with its raw key.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3-multiple-ciphers';
import * as sqliteVec from 'sqlite-vec';
import { ulid } from 'ulid';
import { expect, test } from 'vitest';
import { tempDir } from '../test/support/core';
import { migrate } from '../src/main/db/migrate';
import { CIPHER, openDatabase, type Db } from '../src/main/db/open';
import type { WriteContext } from '../src/main/db/repos/audit';
import { createMemory } from '../src/main/db/repos/memories';
import { AppError } from '../src/main/errors';
import { SCRYPT_PARAMS, newMasterKey, unwrapWithPassphrase, wrapWithPassphrase } from '../src/main/profiles/keys';

const ROUNDS = 9;
const INSERTS_PER_ROUND = 150;
const KDF_SAMPLES = 3;
const OPEN_SAMPLES = 10;
const TARGET_RATIO = 0.5;
const WRONG_PASSPHRASE_LIMIT_MS = 1000;
const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

async function timeMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const WORDS = 'coffee meeting dana pricing balcony tomatoes logistics march vendor thursday garden lead time'.split(
  ' ',
);
function content(i: number): string {
  const pick = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length]!;
  return `Memory ${i}: remember the ${pick(0)} and the ${pick(1)} with ${pick(2)} before ${pick(3)}.`;
}

/** The baseline connection: the same cipher, key form and pragmas as openDatabase, set up by hand. */
function openRaw(path: string, key: Buffer, snapshotDir: string): Db {
  const db = new Database(path);
  db.pragma(`cipher = '${CIPHER.name}'`);
  db.pragma(`key = 'raw:${key.toString('hex')}'`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  sqliteVec.load(db);
  migrate(db, { snapshotDir });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

function settings(db: Db): Record<string, unknown> {
  return {
    cipher: db.pragma('cipher', { simple: true }),
    journal_mode: db.pragma('journal_mode', { simple: true }),
    synchronous: db.pragma('synchronous', { simple: true }),
    foreign_keys: db.pragma('foreign_keys', { simple: true }),
    user_version: db.pragma('user_version', { simple: true }),
  };
}

type Row = [string, string, string];
function table(rows: Row[]): string {
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: Row) => `  ${r[0].padEnd(widths[0]!)}  ${r[1].padStart(widths[1]!)}  ${r[2]}`;
  return rows.map(line).join('\n');
}

test('durable insert throughput and unlock costs', async () => {
  const dir = tempDir('angel-memory-bench-');
  const started = performance.now();
  try {
    const key = randomBytes(32);
    const repoPath = join(dir.path, 'repo.db');
    const rawPath = join(dir.path, 'raw.db');
    const snapshotDir = join(dir.path, 'backups');

    const repoDb = openDatabase(repoPath, key, { snapshotDir });
    const rawDb = openRaw(rawPath, key, snapshotDir);
    // A mismatch would make the comparison meaningless, so this one is asserted.
    expect(settings(rawDb)).toEqual(settings(repoDb));
    const pragmas = settings(repoDb);

    const ctx: WriteContext = { now: () => new Date(), actor: 'bench' };
    const insertRaw = rawDb.prepare(
      `INSERT INTO memories (id, content, category, visibility, conversation_id, manually_added, origin, created_at, updated_at)
       VALUES (?, ?, 'interesting', 'private', NULL, 0, 'webhook', ?, ?)`,
    );
    const insertRawTx = rawDb.transaction((id: string, text: string, at: string) => insertRaw.run(id, text, at, at));

    const rawRound = (round: number): number => {
      const ids = Array.from({ length: INSERTS_PER_ROUND }, () => ulid());
      const texts = ids.map((_, i) => content(round * INSERTS_PER_ROUND + i));
      const at = new Date().toISOString();
      const ms = timeMs(() => {
        for (let i = 0; i < INSERTS_PER_ROUND; i++) insertRawTx(ids[i]!, texts[i]!, at);
      });
      return (INSERTS_PER_ROUND / ms) * 1000;
    };
    const repoRound = (round: number): number => {
      const texts = Array.from({ length: INSERTS_PER_ROUND }, (_, i) => content(round * INSERTS_PER_ROUND + i));
      const ms = timeMs(() => {
        for (let i = 0; i < INSERTS_PER_ROUND; i++) {
          createMemory(
            repoDb,
            { content: texts[i]!, category: 'interesting', tags: ['omi', `topic-${i % 10}`], origin: 'webhook' },
            ctx,
          );
        }
      });
      return (INSERTS_PER_ROUND / ms) * 1000;
    };

    // Warm-up: statement preparation, page cache, first WAL growth.
    rawRound(-1);
    repoRound(-1);
    const raw: number[] = [];
    const repo: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        raw.push(rawRound(r));
        repo.push(repoRound(r));
      } else {
        repo.push(repoRound(r));
        raw.push(rawRound(r));
      }
    }
    const total = (ROUNDS + 1) * INSERTS_PER_ROUND;
    const count = (db: Db, sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count(rawDb, 'SELECT count(*) AS n FROM memories')).toBe(total);
    expect(count(repoDb, 'SELECT count(*) AS n FROM memories')).toBe(total);
    expect(count(repoDb, 'SELECT count(*) AS n FROM memory_tags')).toBe(2 * total);
    expect(count(repoDb, "SELECT count(*) AS n FROM fts_memories WHERE fts_memories MATCH 'coffee'")).toBeGreaterThan(
      0,
    );
    rawDb.close();
    repoDb.close();

    const rawRate = median(raw);
    const repoRate = median(repo);
    const ratio = repoRate / rawRate;
    // Rounds ran in adjacent pairs, so the per-pair ratio is less exposed to disk noise; shown beside.
    const pairedRatio = median(repo.map((x, i) => x / raw[i]!));

    // Unlock with the production scrypt parameters.
    const masterKey = newMasterKey();
    const profileId = 'bench-profile';
    const wrap = await wrapWithPassphrase(masterKey, 'correct horse battery staple', profileId);
    expect({ N: wrap.N, r: wrap.r, p: wrap.p }).toEqual(SCRYPT_PARAMS);
    const unwrapMs: number[] = [];
    const wrongMs: number[] = [];
    for (let i = 0; i < KDF_SAMPLES; i++) {
      let unwrapped: Buffer | undefined;
      unwrapMs.push(
        await timeMsAsync(async () => {
          unwrapped = await unwrapWithPassphrase(wrap, 'correct horse battery staple', profileId);
        }),
      );
      expect(unwrapped?.equals(masterKey)).toBe(true);
      let refused: unknown;
      wrongMs.push(
        await timeMsAsync(() =>
          unwrapWithPassphrase(wrap, 'correct horse battery stapler', profileId).catch((err: unknown) => {
            refused = err;
          }),
        ),
      );
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).code).toBe('WRONG_KEY');
    }

    // Opening an existing vault with its raw key: cipher setup, key check, migration check, WAL.
    const openMs: number[] = [];
    for (let i = 0; i < OPEN_SAMPLES; i++) {
      let db: Db | undefined;
      openMs.push(
        timeMs(() => {
          db = openDatabase(repoPath, key, { snapshotDir });
        }),
      );
      db?.close();
    }

    const unlockMs = median(unwrapMs);
    const wrongMax = Math.max(...wrongMs);
    const openMedian = median(openMs);
    const f0 = (n: number) => n.toFixed(0);
    const f1 = (n: number) => n.toFixed(1);
    const rows: Row[] = [
      ['measure', 'value', 'notes'],
      [
        'raw INSERT, 1 row/tx',
        `${f0(rawRate)}/s`,
        `median of ${ROUNDS} x ${INSERTS_PER_ROUND}; min ${f0(Math.min(...raw))}, max ${f0(Math.max(...raw))}`,
      ],
      [
        'createMemory + 2 tags, 1/tx',
        `${f0(repoRate)}/s`,
        `median of ${ROUNDS} x ${INSERTS_PER_ROUND}; min ${f0(Math.min(...repo))}, max ${f0(Math.max(...repo))}`,
      ],
      [
        'repo / raw',
        ratio.toFixed(2),
        `${ratio >= TARGET_RATIO ? 'PASS' : 'BELOW TARGET'} (target >= ${TARGET_RATIO}); median paired ratio ${pairedRatio.toFixed(2)}`,
      ],
      [
        'passphrase unlock (scrypt)',
        `${f0(unlockMs)} ms`,
        `median of ${KDF_SAMPLES}; N=2^${Math.log2(SCRYPT_PARAMS.N)}, r=${SCRYPT_PARAMS.r}, p=${SCRYPT_PARAMS.p}`,
      ],
      [
        'wrong passphrase refused',
        `${f0(wrongMax)} ms`,
        `max of ${KDF_SAMPLES}; ${wrongMax < WRONG_PASSPHRASE_LIMIT_MS ? 'PASS' : 'OVER LIMIT'} (limit < ${WRONG_PASSPHRASE_LIMIT_MS} ms)`,
      ],
      ['open vault with raw key', `${f1(openMedian)} ms`, `median of ${OPEN_SAMPLES}; min ${f1(Math.min(...openMs))}`],
    ];
    const header = `Angel Memory bench (node ${process.version}, ${process.platform}/${process.arch}; cipher=${String(pragmas.cipher)}, journal=${String(pragmas.journal_mode)}, synchronous=${SYNCHRONOUS[Number(pragmas.synchronous)] ?? String(pragmas.synchronous)})`;
    process.stdout.write(
      `\n${header}\n${table(rows)}\n  total bench time ${((performance.now() - started) / 1000).toFixed(1)} s\n\n`,
    );
  } finally {
    dir.remove();
  }
});
