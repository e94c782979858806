// 1,000+ generated bad archives, made from one small good archive: each import is refused with a
// typed error, and the vault it was aimed at is byte-identical afterwards (sha256 of its encrypted
// database file and WAL) with no temporary files left behind.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { applyStaged } from '../../src/main/archive/apply';
import { exportArchive } from '../../src/main/archive/export';
import { ARCHIVE_ERRORS } from '../../src/main/archive/format';
import { readArchive } from '../../src/main/archive/reader';
import { createMemory } from '../../src/main/db/repos/memories';
import { makeCore, must, tempDir, type TestCore } from '../support/core';
import { openTestDb, testContext } from '../support/db';
import { seed, vault } from './generators';
import { fileHash, logicalDump } from './support';
import { buildZip, readZip, type RawEntry } from './zip';

const PASSPHRASE = 'correct horse battery staple';
let dir: ReturnType<typeof tempDir>;
let host: TestCore;
let profileId: string;
let dbPath: string;
let plain: Buffer;
let encrypted: Buffer;
let entries: RawEntry[];

beforeAll(async () => {
  dir = tempDir();
  // The good archive: a generated vault with every kind of record.
  const source = openTestDb();
  const [contents] = fc.sample(
    vault.filter((v) => v.memories.length >= 5 && v.conversations.length >= 2),
    {
      numRuns: 1,
      seed: 42,
    },
  );
  seed(source.db, contents!);
  const options = { profile: { id: 'P', name: 'Source' }, filter: { embeddings: true }, now: () => new Date() };
  await exportArchive(source.db, join(dir.path, 'good.angelmem'), options);
  await exportArchive(source.db, join(dir.path, 'good.angelmem.age'), {
    ...options,
    encryption: { kind: 'passphrase', passphrase: PASSPHRASE, workFactor: 8 },
  });
  source.close();
  plain = readFileSync(join(dir.path, 'good.angelmem'));
  encrypted = readFileSync(join(dir.path, 'good.angelmem.age'));
  entries = await readZip(plain);

  // The target: a profile with data of its own that none of the bad archives may change.
  host = makeCore(join(dir.path, 'data'));
  profileId = must(
    await host.core.invoke('profiles.create', {
      name: 'Target',
      protection: { kind: 'passphrase', passphrase: PASSPHRASE },
    }),
  ).profile.id;
  const db = host.core.vault.session(profileId).db;
  for (let i = 0; i < 5; i++)
    createMemory(db, { content: `kept ${i}`, category: 'manual', origin: 'local', tags: ['t'] }, testContext());
  db.pragma('wal_checkpoint(TRUNCATE)');
  dbPath = join(host.dataDir, 'profiles', profileId, 'memory.db');
});

afterAll(async () => {
  await host.close();
  dir.remove();
});

const manifestOf = (list: RawEntry[]) =>
  JSON.parse(list.find((e) => e.name === 'manifest.json')!.data.toString()) as {
    formatVersion: string;
    counts: Record<string, number>;
    entries: { name: string; records: number; bytes: number; sha256: string }[];
  };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Replaces a data entry and rewrites its size, sha256 and record count in the manifest, so only the content is wrong. */
function withEntry(name: string, data: Buffer, adjust?: (m: ReturnType<typeof manifestOf>) => void): Buffer {
  const m = manifestOf(entries);
  const info = m.entries.find((e) => e.name === name)!;
  info.bytes = data.length;
  info.sha256 = sha(data);
  info.records = data.toString().split('\n').length - 1;
  adjust?.(m);
  return buildZip(
    entries.map((e) =>
      e.name === name
        ? { name, data }
        : e.name === 'manifest.json'
          ? { name: e.name, data: Buffer.from(JSON.stringify(m)) }
          : e,
    ),
  );
}

function linesOf(name: string): string[] {
  return entries
    .find((e) => e.name === name)!
    .data.toString()
    .split('\n')
    .slice(0, -1);
}

type Bad = { family: string; bytes: Buffer; passphrase?: string; expect?: string[] };

const families: fc.Arbitrary<Bad>[] = [
  fc.nat().map((n) => ({ family: 'truncated', bytes: plain.subarray(0, n % plain.length) })),
  fc.nat().map((n) => ({
    family: 'truncated-age',
    bytes: encrypted.subarray(0, n % encrypted.length),
    passphrase: PASSPHRASE,
  })),
  fc
    .tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('conversations.jsonl', 'memories.jsonl'))
    .map(([n, x, name]) => {
      const list = entries.map((e) => ({ ...e, data: Buffer.from(e.data) }));
      const target = list.find((e) => e.name === name)!;
      target.data[n % target.data.length]! ^= x;
      return { family: 'flipped', bytes: buildZip(list), expect: ['CHECKSUM_MISMATCH', 'BAD_LINE', 'ENTRY_MISMATCH'] };
    }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([n, x]) => {
    const bytes = Buffer.from(encrypted);
    bytes[n % bytes.length]! ^= x;
    return { family: 'flipped-age', bytes, passphrase: PASSPHRASE };
  }),
  fc
    .string({ minLength: 1, maxLength: 30 })
    .filter((p) => p !== PASSPHRASE)
    .map((p) => ({
      family: 'wrong-passphrase',
      bytes: encrypted,
      passphrase: p,
      expect: ['WRONG_PASSPHRASE'],
    })),
  fc
    .shuffledSubarray([0, 1, 2, 3, 4], { minLength: 5, maxLength: 5 })
    .filter((p) => p.some((v, i) => v !== i))
    .map((p) => ({
      family: 'reordered',
      bytes: buildZip(p.map((i) => entries[i % entries.length]!).slice(0, entries.length)),
      expect: ['ENTRY_MISMATCH', 'MISSING_MANIFEST'],
    })),
  fc.nat().map((n) => ({
    family: 'missing-entry',
    bytes: buildZip(entries.filter((_, i) => i !== n % entries.length)),
    expect: ['ENTRY_MISMATCH', 'MISSING_MANIFEST'],
  })),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(
        '../memories.jsonl',
        '/etc/passwd',
        'a/../../b.jsonl',
        'dir\\x.jsonl',
        'C:\\windows.jsonl',
        '..',
        'sub/dir.jsonl',
        'Memories.JSONL',
        ' .jsonl',
      ),
    )
    .map(([n, name]) => ({
      family: 'bad-name',
      bytes: buildZip(entries.map((e, i) => (i === n % entries.length ? { ...e, name } : e))),
      expect: ['BAD_ENTRY_NAME'],
    })),
  fc.integer({ min: 12, max: 300 }).map((k) => ({
    family: 'too-many-entries',
    bytes: buildZip([
      ...Array.from({ length: k }, (_, i) => ({ name: `pad-${i}.jsonl`, data: Buffer.from('\n') })),
      ...entries,
    ]),
    expect: ['TOO_MANY_ENTRIES'],
  })),
  fc.nat().map((n) => ({
    family: 'zip-bomb',
    bytes: buildZip(
      entries.map((e, i) =>
        i === n % (entries.length - 1) ? { name: e.name, data: Buffer.alloc(6 * 1024 * 1024, 0x20), deflate: true } : e,
      ),
    ),
    expect: ['ZIP_BOMB'],
  })),
  fc.tuple(fc.integer({ min: 2, max: 99 }), fc.integer({ min: 0, max: 9 })).map(([major, minor]) => {
    const m = manifestOf(entries);
    m.formatVersion = `${major}.${minor}`;
    return {
      family: 'future-version',
      bytes: buildZip(
        entries.map((e) => (e.name === 'manifest.json' ? { name: e.name, data: Buffer.from(JSON.stringify(m)) } : e)),
      ),
      expect: ['FORMAT_FROM_FUTURE'],
    };
  }),
  fc.tuple(fc.nat(), fc.constantFrom('{', 'not json', '{"id":', '[1,2', '\u0000', 'nul\u0000l')).map(([n, garbage]) => {
    const lines = linesOf('memories.jsonl');
    lines[n % lines.length] = garbage;
    return {
      family: 'invalid-json',
      bytes: withEntry('memories.jsonl', Buffer.from(`${lines.join('\n')}\n`)),
      expect: ['BAD_LINE'],
    };
  }),
  fc
    .tuple(fc.nat(), fc.nat(), fc.constantFrom('conversations.jsonl', 'memories.jsonl', 'day-summaries.jsonl'))
    .map(([n, k, name]) => {
      const lines = linesOf(name);
      const record = JSON.parse(lines[n % lines.length]!) as Record<string, unknown>;
      const keys = Object.keys(record);
      record[keys[k % keys.length]!] = { wrong: true };
      lines[n % lines.length] = JSON.stringify(record);
      return {
        family: 'schema-invalid',
        bytes: withEntry(name, Buffer.from(`${lines.join('\n')}\n`)),
        expect: ['BAD_LINE'],
      };
    }),
  fc.nat().map((n) => {
    const lines = linesOf('memories.jsonl');
    const dup = lines[n % lines.length]!;
    const versions = (JSON.parse(dup) as { versions: unknown[] }).versions.length;
    return {
      family: 'duplicate-record',
      bytes: withEntry('memories.jsonl', Buffer.from(`${[...lines, dup].join('\n')}\n`), (m) => {
        m.counts.memories! += 1;
        m.counts.memoryVersions! += versions;
      }),
      expect: ['DUPLICATE_RECORD'],
    };
  }),
  fc.integer({ min: 1, max: 50 }).map((k) => {
    const m = manifestOf(entries);
    m.counts.memories! += k;
    return {
      family: 'wrong-counts',
      bytes: buildZip(
        entries.map((e) => (e.name === 'manifest.json' ? { name: e.name, data: Buffer.from(JSON.stringify(m)) } : e)),
      ),
      expect: ['ENTRY_MISMATCH'],
    };
  }),
  fc.constantFrom('', '{', 'null', '{"format":"zip"}', '[]').map((text) => ({
    family: 'bad-manifest',
    bytes: buildZip(entries.map((e) => (e.name === 'manifest.json' ? { name: e.name, data: Buffer.from(text) } : e))),
    expect: ['BAD_MANIFEST'],
  })),
];

test('the good archive imports (control for the mutations below)', async () => {
  const scratch = openTestDb();
  const staged = await readArchive({ buffer: encrypted }, { passphrase: PASSPHRASE });
  expect(applyStaged(scratch.db, staged, 'skip', 'angelmem', testContext()).changed).toBe(true);
  expect(staged.memories.length).toBeGreaterThanOrEqual(5);
  expect(entries.map((e) => e.name)).toEqual([
    'conversations.jsonl',
    'memories.jsonl',
    'day-summaries.jsonl',
    'embeddings.jsonl',
    'manifest.json',
  ]);
  scratch.close();
});

test('1,000+ bad archives are each refused with a typed error and change nothing', async () => {
  const before = fileHash(dbPath);
  const dumpBefore = logicalDump(host.core.vault.session(profileId).db);
  const seen = new Map<string, number>();
  const codes = new Set(Object.values(ARCHIVE_ERRORS));
  let i = 0;
  await fc.assert(
    fc.asyncProperty(fc.oneof(...families), fc.constantFrom('skip', 'overwrite', 'newer'), async (bad, strategy) => {
      const path = join(dir.path, `bad-${i++}.angelmem`);
      writeFileSync(path, bad.bytes);
      const result = await host.core.invoke('archive.import', {
        profileId,
        path,
        strategy,
        passphrase: bad.passphrase,
      });
      expect(result.ok, bad.family).toBe(false);
      if (result.ok) return;
      expect(codes.has(result.error.code as never), `${bad.family}: ${result.error.code}`).toBe(true);
      const kind = /^archive refused \(([A-Z_]+)\): /.exec(result.error.message)?.[1];
      expect(kind, `${bad.family}: ${result.error.message}`).toBeDefined();
      if (bad.expect) expect(bad.expect, `${bad.family}: ${result.error.message}`).toContain(kind);
      seen.set(bad.family, (seen.get(bad.family) ?? 0) + 1);
    }),
    { numRuns: 1100, seed: 7 },
  );
  expect([...seen.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);
  for (const f of [
    'truncated',
    'truncated-age',
    'flipped',
    'flipped-age',
    'wrong-passphrase',
    'reordered',
    'missing-entry',
    'bad-name',
    'too-many-entries',
    'zip-bomb',
    'future-version',
    'invalid-json',
    'schema-invalid',
    'duplicate-record',
  ]) {
    expect(seen.get(f) ?? 0, f).toBeGreaterThan(10);
  }
  expect(fileHash(dbPath)).toBe(before);
  expect(logicalDump(host.core.vault.session(profileId).db)).toEqual(dumpBefore);
  const leftovers = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? leftovers(join(d, e.name)) : [e.name]));
  expect(leftovers(dir.path).filter((n) => n.includes('.tmp'))).toEqual([]);
});
