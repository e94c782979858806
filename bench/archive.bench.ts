// `npm run bench -- archive`: export and import of 100,000 memories and 10,000 conversations with 40
// segments each (ANGEL_MEMORY_BENCH_SCALE=0.1 runs a tenth). Prints records/s (a record is a memory
// or a conversation with its segments), peak RSS growth and the longest event-loop stall, beside a
// raw baseline measured in the same run on the same data:
//   - raw export: SELECT every row, JSON.stringify it, write JSONL to a plain file (no zip, no hash);
//   - raw import: parse those lines and INSERT them with prepared statements in one transaction
//     into a fresh vault (same schema, FTS triggers included; no validation, no comparisons).
// "max stall" is the longest the event loop was blocked: the import's apply transaction is one
// synchronous block by design (docs/archive-format.md), so it shows there.
// Targets from issue 6: export >= 50,000 records/s, import >= 25,000 records/s, RSS growth <= 200 MB.
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { expect, test } from 'vitest';
import { applyStaged } from '../src/main/archive/apply';
import { exportArchive } from '../src/main/archive/export';
import { readArchive } from '../src/main/archive/reader';
import type { Db } from '../src/main/db/open';
import { openTestDb } from '../test/support/db';

const SCALE = Number(process.env.ANGEL_MEMORY_BENCH_SCALE ?? '1');
const MEMORIES = Math.round(100_000 * SCALE);
const CONVERSATIONS = Math.round(10_000 * SCALE);
const SEGMENTS = 40;
const TARGETS = { export: 50_000, import: 25_000, rssMb: 200 };

const WORDS = 'coffee meeting dana pricing balcony tomatoes logistics march vendor thursday garden lead time'.split(
  ' ',
);
const sentence = (i: number, n: number) =>
  Array.from({ length: n }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');

function seed(db: Db): void {
  const at = (i: number) => new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString();
  const conv = db.prepare(
    `INSERT INTO conversations (id, created_at, started_at, finished_at, source, language, title, overview, category,
       raw, content_hash, origin, updated_at) VALUES (?, ?, ?, ?, 'omi', 'en', ?, ?, 'business', ?, ?, 'webhook', ?)`,
  );
  const seg = db.prepare(
    `INSERT INTO transcript_segments (conversation_id, idx, text, speaker, speaker_id, is_user, start_s, end_s)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const mem = db.prepare(
    `INSERT INTO memories (id, content, category, visibility, origin, created_at, updated_at)
     VALUES (?, ?, 'system', 'private', 'sync', ?, ?)`,
  );
  db.transaction(() => {
    for (let c = 0; c < CONVERSATIONS; c++) {
      const id = `conv-${c}`;
      conv.run(
        id,
        at(c),
        at(c),
        at(c + 30),
        `Conversation ${c} ${sentence(c, 4)}`,
        sentence(c, 30),
        '{"id":"x"}',
        `h${c}`,
        at(c),
      );
      for (let s = 0; s < SEGMENTS; s++) {
        seg.run(id, s, sentence(c + s, 14), `SPEAKER_0${s % 2}`, s % 2, s % 2, s * 4, s * 4 + 3.5);
      }
    }
    for (let m = 0; m < MEMORIES; m++) mem.run(`mem-${m}`, `Memory ${m}: ${sentence(m, 12)}`, at(m), at(m));
  })();
}

/** Runs `fn`, sampling RSS every 20 ms while the event loop is free, and the longest stall. */
async function measure<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; ms: number; rssGrowthMb: number; stallMs: number }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const start = performance.now();
  const value = await fn();
  const ms = performance.now() - start;
  peak = Math.max(peak, process.memoryUsage.rss());
  // Let the delay monitor's timer fire once more, so a synchronous tail (the apply transaction) is counted.
  await new Promise((r) => setTimeout(r, 50));
  loop.disable();
  clearInterval(sample);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { value, ms, rssGrowthMb: (peak - base) / 2 ** 20, stallMs: loop.max / 1e6 };
}

function rawExport(db: Db, path: string): number {
  const fd = openSync(path, 'w');
  let buf: string[] = [];
  const flush = () => {
    writeSync(fd, buf.join(''));
    buf = [];
  };
  try {
    for (const table of ['conversations', 'transcript_segments', 'memories']) {
      for (const row of db.prepare(`SELECT * FROM ${table}`).iterate()) {
        buf.push(`${JSON.stringify({ table, row })}\n`);
        if (buf.length >= 1000) flush();
      }
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

function rawImport(db: Db, path: string): void {
  const inserts = new Map<string, ReturnType<Db['prepare']>>();
  db.transaction(() => {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      const { table, row } = JSON.parse(line) as { table: string; row: Record<string, unknown> };
      const { pk: _pk, ...cols } = row;
      const keys = Object.keys(cols);
      let stmt = inserts.get(table);
      if (!stmt) {
        stmt = db.prepare(`INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map((k) => `@${k}`).join(', ')})`);
        inserts.set(table, stmt);
      }
      stmt.run(cols);
    }
  })();
}

test('archive export and import throughput', { timeout: 1_800_000 }, async () => {
  const source = openTestDb('angel-memory-bench-');
  const rawTarget = openTestDb('angel-memory-bench-');
  const target = openTestDb('angel-memory-bench-');
  try {
    const seedStart = performance.now();
    seed(source.db);
    const seedMs = performance.now() - seedStart;
    const records = MEMORIES + CONVERSATIONS;
    const rawPath = join(source.dir, 'raw.jsonl');
    const out = join(source.dir, 'bench.angelmem');

    // Ours first, on the least used heap, so the RSS figures are not flattered by memory the
    // baselines already grew.
    const exp = await measure(() =>
      exportArchive(source.db, out, { profile: { id: 'B', name: 'Bench' }, now: () => new Date() }),
    );
    expect(exp.value.counts).toMatchObject({
      memories: MEMORIES,
      conversations: CONVERSATIONS,
      segments: CONVERSATIONS * SEGMENTS,
    });
    const imp = await measure(async () => {
      const staged = await readArchive({ path: out }, {});
      return applyStaged(target.db, staged, 'skip', 'angelmem', { now: () => new Date(), actor: 'bench' });
    });
    const rawOut = await measure(() => Promise.resolve(rawExport(source.db, rawPath)));
    const rawIn = await measure(() => Promise.resolve(rawImport(rawTarget.db, rawPath)));
    expect(imp.value.counts.memories?.inserted).toBe(MEMORIES);
    expect(imp.value.counts.conversations?.inserted).toBe(CONVERSATIONS);
    const count = (db: Db, t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    expect(count(target.db, 'transcript_segments')).toBe(CONVERSATIONS * SEGMENTS);
    expect(count(rawTarget.db, 'transcript_segments')).toBe(CONVERSATIONS * SEGMENTS);

    const rate = (ms: number) => (records / ms) * 1000;
    const f0 = (n: number) => n.toFixed(0);
    const rows: [string, string, string, string, string][] = [
      ['measure', 'records/s', 'vs raw', 'RSS +MB', 'max stall ms'],
      [
        'raw export (SELECT + JSON, plain file)',
        f0(rate(rawOut.ms)),
        '1.00',
        f0(rawOut.rssGrowthMb),
        f0(rawOut.stallMs),
      ],
      [
        'export .angelmem (zip, sha256)',
        f0(rate(exp.ms)),
        (rawOut.ms / exp.ms).toFixed(2),
        f0(exp.rssGrowthMb),
        f0(exp.stallMs),
      ],
      ['raw import (parse + INSERT, 1 tx)', f0(rate(rawIn.ms)), '1.00', f0(rawIn.rssGrowthMb), f0(rawIn.stallMs)],
      [
        'import .angelmem (validate, stage, apply)',
        f0(rate(imp.ms)),
        (rawIn.ms / imp.ms).toFixed(2),
        f0(imp.rssGrowthMb),
        f0(imp.stallMs),
      ],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    const table = rows.map(
      (r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`,
    );
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'BELOW TARGET');
    process.stdout.write(
      [
        '',
        `Angel Memory archive bench (node ${process.version}; ${MEMORIES} memories, ${CONVERSATIONS} conversations x ${SEGMENTS} segments; seeded in ${(seedMs / 1000).toFixed(1)} s)`,
        ...table,
        `  archive size ${(exp.value.bytes / 2 ** 20).toFixed(1)} MB; raw JSONL ${(rawOut.value / 2 ** 20).toFixed(1)} MB`,
        `  export ${verdict(rate(exp.ms) >= TARGETS.export)} (target >= ${TARGETS.export}/s), import ${verdict(rate(imp.ms) >= TARGETS.import)} (target >= ${TARGETS.import}/s), RSS export ${verdict(exp.rssGrowthMb <= TARGETS.rssMb)} / import ${verdict(imp.rssGrowthMb <= TARGETS.rssMb)} (target <= ${TARGETS.rssMb} MB)`,
        '',
      ].join('\n'),
    );
  } finally {
    source.close();
    rawTarget.close();
    target.close();
  }
});
