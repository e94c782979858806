// `export`, `import` and `backup` through the built binary: progress on stderr, the report on
// stdout with --json, archive passphrases only from the environment or a file, exit statuses.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runBin } from '../support/cli';
import { tempDir } from '../support/core';

const PASS = 'correct horse battery staple';
const ARCHIVE_PASS = 'archive passphrase for the test';
let home: ReturnType<typeof tempDir>;
const env = (extra: Record<string, string> = {}) => ({
  ANGEL_MEMORY_HOME: home.path,
  ANGEL_MEMORY_PASSPHRASE: PASS,
  ...extra,
});
const json = <T>(text: string) => JSON.parse(text) as T;

beforeAll(async () => {
  home = tempDir();
  for (const name of ['Ada', 'Bob']) {
    expect((await runBin(['profile', 'create', '--name', name, '--json'], env())).code).toBe(0);
  }
  for (const text of ['Prefers window seats ✈️', 'Allergic to peanuts']) {
    expect((await runBin(['memory', 'add', '--profile', 'Ada', '--tag', 'health', text], env())).code).toBe(0);
  }
});
afterAll(() => home.remove());

test('export --encrypt then import --json into another profile; again is a no-op', async () => {
  const out = join(home.path, 'ada.angelmem.age');
  const exported = await runBin(
    ['--json', 'export', '--profile', 'Ada', '--out', out, '--encrypt', '--embeddings'],
    env({ ANGEL_MEMORY_ARCHIVE_PASSPHRASE: ARCHIVE_PASS }),
  );
  expect(exported.code, exported.stderr).toBe(0);
  expect(json<{ encrypted: boolean; counts: { memories: number } }>(exported.stdout)).toMatchObject({
    encrypted: true,
    counts: { memories: 2 },
  });
  expect(exported.stderr).toMatch(/^export: memories 2\/2$/m);
  expect(readFileSync(out).subarray(0, 21).toString()).toBe('age-encryption.org/v1');

  // The passphrase from a file works as well as from the environment.
  const passFile = join(home.path, 'archive-pass.txt');
  writeFileSync(passFile, `${ARCHIVE_PASS}\n`);
  const imported = await runBin(
    ['--json', 'import', '--profile', 'Bob', out, '--strategy', 'newer', '--archive-passphrase-file', passFile],
    env(),
  );
  expect(imported.code, imported.stderr).toBe(0);
  const report = json<{ changed: boolean; counts: Record<string, { inserted: number }> }>(imported.stdout);
  expect(report).toMatchObject({ changed: true, counts: { memories: { inserted: 2 } } });
  expect(imported.stderr).toMatch(/^import: /m);

  const again = await runBin(
    ['import', '--profile', 'Bob', out],
    env({ ANGEL_MEMORY_ARCHIVE_PASSPHRASE: ARCHIVE_PASS }),
  );
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/Nothing changed\./);

  const list = await runBin(['--json', 'memory', 'list', '--profile', 'Bob', '--tag', 'health'], env());
  expect(json<{ total: number }>(list.stdout).total).toBe(2);

  const wrong = await runBin(['import', '--profile', 'Bob', out], env({ ANGEL_MEMORY_ARCHIVE_PASSPHRASE: 'nope' }));
  expect(wrong).toMatchObject({ code: 3 });
  expect(wrong.stderr).toMatch(/error WRONG_KEY: archive refused \(WRONG_PASSPHRASE\): wrong archive passphrase/);
  const missing = await runBin(['--json', 'import', '--profile', 'Bob', out], env());
  expect(missing.code).toBe(2);
  expect(json<{ error: { code: string } }>(missing.stderr.trim().split('\n').at(-1)!).error.code).toBe('BAD_INPUT');
  const noPass = await runBin(['export', '--profile', 'Ada', '--out', join(home.path, 'x.age'), '--encrypt'], env());
  expect(noPass.code).toBe(2);
  expect(noPass.stderr).toMatch(/ANGEL_MEMORY_ARCHIVE_PASSPHRASE/);
});

test('import of an OMI memories file, Markdown export, backup now / list / restore', async () => {
  const omi = join(home.path, 'omi-memories.json');
  writeFileSync(omi, readFileSync(join(import.meta.dirname, '../fixtures/dev-api.memories-list.json')));
  const r = await runBin(['--json', 'import', '--profile', 'Ada', omi, '--format', 'omi-memories'], env());
  expect(r.code, r.stderr).toBe(0);
  expect(json<{ counts: { memories: { inserted: number } } }>(r.stdout).counts.memories.inserted).toBe(2);

  const md = await runBin(
    ['export', '--profile', 'Ada', '--out', join(home.path, 'notes'), '--format', 'markdown'],
    env(),
  );
  expect(md.code, md.stderr).toBe(0);
  expect(readFileSync(join(home.path, 'notes', 'memories.md'), 'utf8')).toContain(
    'Prefers metric units in all reports',
  );

  const now = await runBin(['--json', 'backup', 'now', '--profile', 'Ada'], env());
  expect(now.code, now.stderr).toBe(0);
  const { name } = json<{ name: string }>(now.stdout);
  const listed = await runBin(['--json', 'backup', 'list', '--profile', 'Ada'], env());
  expect(json<{ name: string }[]>(listed.stdout).map((b) => b.name)).toEqual([name]);
  const restored = await runBin(
    ['--json', 'backup', 'restore', '--profile', 'Ada', name, '--into-new', 'Ada copy'],
    env(),
  );
  expect(restored.code, restored.stderr).toBe(0);
  expect(
    json<{ recoveryKey: string; report: { counts: { memories: { inserted: number } } } }>(restored.stdout),
  ).toMatchObject({
    recoveryKey: expect.any(String) as unknown,
    report: { counts: { memories: { inserted: 4 } } },
  });
  const copy = await runBin(['--json', 'memory', 'list', '--profile', 'Ada copy'], env());
  expect(json<{ total: number }>(copy.stdout).total).toBe(4);
});
