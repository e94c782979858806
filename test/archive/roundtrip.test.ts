// Property: any vault content exported and imported into an empty vault comes back equal, and
// importing it a second time changes nothing.
import { join } from 'node:path';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { applyStaged } from '../../src/main/archive/apply';
import { exportArchive } from '../../src/main/archive/export';
import { applyVerified } from '../../src/main/archive/job';
import { readArchive, verifyArchive } from '../../src/main/archive/reader';
import { openTestDb, testContext, type TestDb } from '../support/db';
import { largeVault, seed, vault } from './generators';
import { logicalDump } from './support';
import { buildZip, readZip } from './zip';

// Fresh databases per run are cheaper than emptying full-text and vector indexes.
let dbs: TestDb[] = [];
const fresh = () => {
  const t = openTestDb();
  dbs.push(t);
  return t;
};
afterEach(() => {
  for (const t of dbs) t.close();
  dbs = [];
});

// Two fresh encrypted vaults per run (every migration applied) dominate the time: allow for a busy machine.
test(
  'export then import into an empty vault gives equal data (200 runs, 0-500 records)',
  { timeout: 600_000 },
  async () => {
    const ctx = testContext('import');
    let records = 0;
    let largest = 0;
    await fc.assert(
      fc.asyncProperty(vault, fc.boolean(), async (v, viaBuffer) => {
        for (const t of dbs.splice(0)) t.close();
        const source = fresh();
        const target = fresh();
        const out = join(source.dir, 'roundtrip.angelmem');
        seed(source.db, v);
        const n = v.conversations.length + v.memories.length + v.daySummaries.length;
        records += n;
        largest = Math.max(largest, n);
        await exportArchive(source.db, out, {
          profile: { id: 'P', name: 'Source' },
          filter: { embeddings: true },
          now: () => new Date('2026-02-01T00:00:00Z'),
          pageSize: 37,
        });
        const staged = await readArchive(viaBuffer ? { buffer: readFileSync(out) } : { path: out }, {});
        const first = applyStaged(target.db, staged, 'skip', 'angelmem', ctx);
        expect(first.rejected).toEqual([]);
        expect(logicalDump(target.db)).toEqual(logicalDump(source.db));
        const again = applyStaged(target.db, await readArchive({ path: out }, {}), 'overwrite', 'angelmem', ctx);
        expect(again.changed).toBe(false);
      }),
      // Random sizes are mostly small; one example always sits at the top of the 0-500 range.
      { numRuns: 200, examples: [[fc.sample(largeVault, { numRuns: 1, seed: 1 })[0]!, false]] },
    );
    // The generator really produced sizeable vaults, not only empty ones.
    expect(records).toBeGreaterThan(2000);
    expect(largest).toBeGreaterThanOrEqual(400);
  },
);

test(
  'the streaming import (verify, then replay into one transaction) gives equal data too (30 runs)',
  { timeout: 300_000 },
  async () => {
    const ctx = testContext('import');
    await fc.assert(
      fc.asyncProperty(vault, async (v) => {
        for (const t of dbs.splice(0)) t.close();
        const source = fresh();
        const target = fresh();
        const out = join(source.dir, 'stream.angelmem');
        seed(source.db, v);
        await exportArchive(source.db, out, {
          profile: { id: 'P', name: 'Source' },
          filter: { embeddings: true },
          now: () => new Date('2026-02-01T00:00:00Z'),
          pageSize: 37,
        });
        const verified = await verifyArchive({ path: out }, {});
        try {
          const first = await applyVerified(target.db, verified, 'skip', ctx);
          expect(first.rejected).toEqual([]);
        } finally {
          verified.close();
        }
        expect(logicalDump(target.db)).toEqual(logicalDump(source.db));
        const again = await verifyArchive({ path: out }, {});
        try {
          expect((await applyVerified(target.db, again, 'overwrite', ctx)).changed).toBe(false);
        } finally {
          again.close();
        }
      }),
      { numRuns: 30 },
    );
  },
);

test('a line zod changes (unknown key, untrimmed tag) is replayed through zod, not as written', async () => {
  const source = fresh();
  const target = fresh();
  const out = join(source.dir, 'edited.angelmem');
  seed(source.db, fc.sample(vault, { numRuns: 1, seed: 5 })[0]!);
  await exportArchive(source.db, out, { profile: { id: 'P', name: 'S' }, now: () => new Date('2026-02-01T00:00:00Z') });
  const entries = await readZip(readFileSync(out));
  const edited = JSON.stringify({
    id: 'hand-edited',
    content: 'written by hand',
    category: 'manual',
    visibility: 'private',
    conversationId: null,
    segmentStart: null,
    segmentEnd: null,
    manuallyAdded: true,
    reviewed: false,
    edited: false,
    origin: 'local',
    remoteId: null,
    remoteHash: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    deletedAt: null,
    tags: ['  garden  '],
    versions: [],
    addedByAnotherTool: true,
  });
  const manifest = JSON.parse(entries.at(-1)!.data.toString('utf8')) as {
    counts: { memories: number };
    entries: { name: string; records: number; bytes: number; sha256: string }[];
  };
  const memories = entries.find((e) => e.name === 'memories.jsonl')!;
  memories.data = Buffer.concat([memories.data, Buffer.from(`${edited}\n`)]);
  const info = manifest.entries.find((e) => e.name === 'memories.jsonl')!;
  info.records += 1;
  info.bytes = memories.data.length;
  info.sha256 = createHash('sha256').update(memories.data).digest('hex');
  manifest.counts.memories += 1;
  entries.at(-1)!.data = Buffer.from(JSON.stringify(manifest));
  writeFileSync(out, buildZip(entries));

  const verified = await verifyArchive({ path: out }, {});
  try {
    await applyVerified(target.db, verified, 'skip', testContext('import'));
  } finally {
    verified.close();
  }
  const tags = target.db
    .prepare("SELECT t.name FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk WHERE mt.memory_id = 'hand-edited'")
    .all();
  expect(tags).toEqual([{ name: 'garden' }]);
  // Replayed as written, the unknown key would make the stored memory look different: not a no-op.
  const again = await verifyArchive({ path: out }, {});
  try {
    expect((await applyVerified(target.db, again, 'overwrite', testContext('import'))).changed).toBe(false);
  } finally {
    again.close();
  }
});
