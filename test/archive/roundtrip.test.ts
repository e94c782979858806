// Property: any vault content exported and imported into an empty vault comes back equal, and
// importing it a second time changes nothing.
import { join } from 'node:path';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterEach, expect, test } from 'vitest';
import { applyStaged } from '../../src/main/archive/apply';
import { exportArchive } from '../../src/main/archive/export';
import { readArchive } from '../../src/main/archive/reader';
import { openTestDb, testContext, type TestDb } from '../support/db';
import { largeVault, seed, vault } from './generators';
import { logicalDump } from './support';

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

test('export then import into an empty vault gives equal data (200 runs, 0-500 records)', async () => {
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
});
