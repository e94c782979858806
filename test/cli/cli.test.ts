// The `angel-memory` command, run as the real built binary in subprocesses against a temp data dir.
// Each unlock costs a production scrypt (~0.4 s), so the scenarios share one data dir and run in
// order; the last test reads every log file for secrets written by all of them.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import { upsertConversation } from '../../src/main/db/repos/conversations';
import { normalizeOmiConversation } from '../../src/main/webhook/omi-conversation';
import type { ConversationDetail, Memory, MemoryVersion, ProfileSummary, Stats } from '../../src/shared/models';
import { makeCore, must, tempDir } from '../support/core';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'angel-memory');
const BUILT = join(ROOT, 'out', 'main', 'cli.js');

const PASS = 'correct horse battery staple';
const WEBHOOK_URL = /^http:\/\/127\.0\.0\.1:8787\/omi\/[A-Za-z0-9_-]{22,}$/;
const RECOVERY_KEY = /^[0-9A-F]{8}(-[0-9A-F]{8}){7}$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Created {
  id: string;
  name: string;
  webhookUrl: string;
  recoveryKey: string;
}

let home: { path: string; remove: () => void };
/** Every secret the scenarios handle; none may reach a log file. */
const secrets: string[] = [PASS];

/** Runs the CLI with a clean environment: PATH, the temp data dir, the passphrase unless overridden. */
function cli(args: string[], options: { env?: Record<string, string | undefined>; input?: string; bin?: string } = {}) {
  return new Promise<Run>((done, reject) => {
    const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: home.path,
        ANGEL_MEMORY_HOME: home.path,
        ANGEL_MEMORY_PASSPHRASE: PASS,
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
    // Always closed, so a command that reads stdin never waits.
    child.stdin.end(options.input ?? '');
  });
}

/** stdout as exactly one JSON document; a failure shows what the command printed. */
function json<T>(r: Run): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** stderr as the --json error document, which must be exactly {"error":{code,message}}. */
function jsonError(r: Run): { code: string; message: string } {
  const doc = JSON.parse(r.stderr) as { error: { code: string; message: string } };
  expect(Object.keys(doc)).toEqual(['error']);
  expect(Object.keys(doc.error).sort()).toEqual(['code', 'message']);
  return doc.error;
}

function ok<T>(r: Run): T {
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
  return json<T>(r);
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const dbPath = (id: string) => join(home.path, 'profiles', id, 'memory.db');

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run "npx electron-vite build" first`);
  home = tempDir('angel-memory-cli-');
});

afterAll(() => home.remove());

describe('angel-memory CLI', () => {
  let alice: Created;

  it('creates a profile: --json prints exactly id, name, webhookUrl and recoveryKey', async () => {
    alice = ok<Created>(await cli(['profile', 'create', '--name', 'Alice', '--json']));
    // The webhook secret is the last path segment: shown to the user, never logged.
    secrets.push(alice.recoveryKey, alice.webhookUrl.split('/').pop() ?? '');
    expect(Object.keys(alice).sort()).toEqual(['id', 'name', 'recoveryKey', 'webhookUrl']);
    expect(alice.name).toBe('Alice');
    expect(alice.id).toMatch(/^[0-9A-Z]{26}$/);
    expect(alice.webhookUrl).toMatch(WEBHOOK_URL);
    expect(alice.recoveryKey).toMatch(RECOVERY_KEY);
    expect(existsSync(dbPath(alice.id))).toBe(true);
  });

  it('creates a profile with a passphrase file and --data-dir, showing the recovery key once in text', async () => {
    const file = join(home.path, 'bob.pass');
    writeFileSync(file, 'bobs passphrase here\n');
    secrets.push('bobs passphrase here');
    const r = await cli(['--data-dir', home.path, '--passphrase-file', file, 'profile', 'create', '--name', 'Bob'], {
      env: { ANGEL_MEMORY_HOME: undefined, ANGEL_MEMORY_PASSPHRASE: undefined },
    });
    expect(r.code, r.stderr).toBe(0);
    const key = /[0-9A-F]{8}(?:-[0-9A-F]{8}){7}/.exec(r.stdout)?.[0];
    expect(key).toBeDefined();
    secrets.push(key ?? '');
    expect(r.stdout.split(key ?? '').length - 1).toBe(1);
    expect(r.stdout).toMatch(/write this recovery key down/i);
    expect(r.stdout).toMatch(/http:\/\/127\.0\.0\.1:8787\/omi\/[A-Za-z0-9_-]{22,}/);
    expect(r.stdout).not.toContain('bobs passphrase');

    // The file (not the env) holds Bob's passphrase: it opens his vault, Alice's passphrase does not.
    const viaFile = await cli(['--passphrase-file', file, 'stats', '--profile', 'bob']);
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect((await cli(['stats', '--profile', 'bob'])).code).toBe(3);
  });

  it('lists profiles, all locked, without a passphrase', async () => {
    const list = ok<{ items: ProfileSummary[]; total: number }>(
      await cli(['profile', 'list', '--json'], { env: { ANGEL_MEMORY_PASSPHRASE: undefined } }),
    );
    expect(list.total).toBe(2);
    expect(list.items.map((p) => p.name)).toEqual(['Alice', 'Bob']);
    for (const p of list.items) {
      expect(p.locked).toBe(true);
      expect(p.protection).toEqual(['passphrase', 'recovery']);
    }
    const text = await cli(['profile', 'list', '--limit', '1', '--offset', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Bob\s+[0-9A-Z]{26}\s.*locked/);
    expect(text.stdout).not.toContain('Alice');
  });

  it('reports usage errors with exit 2 on stderr, before touching a vault', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^error BAD_INPUT: unknown command 'frobnicate'/);

    const unknownJson = await cli(['--json', 'frobnicate']);
    expect(unknownJson.code).toBe(2);
    expect(jsonError(unknownJson)).toEqual({ code: 'BAD_INPUT', message: "unknown command 'frobnicate'" });

    const noProfile = await cli(['memory', 'list']);
    expect(noProfile.code).toBe(2);
    expect(noProfile.stderr).toMatch(/^error BAD_INPUT: .*--profile/);

    const badOption = await cli(['memory', 'list', '--profile', 'alice', '--limit', 'many']);
    expect(badOption.code).toBe(2);

    const noPassphrase = await cli(['stats', '--profile', 'alice'], { env: { ANGEL_MEMORY_PASSPHRASE: undefined } });
    expect(noPassphrase.code).toBe(2);
    expect(noPassphrase.stderr).toMatch(/^error BAD_INPUT: .*ANGEL_MEMORY_PASSPHRASE.*--passphrase-file/);

    const createNoPassphrase = await cli(['profile', 'create', '--name', 'Zed'], {
      env: { ANGEL_MEMORY_PASSPHRASE: undefined },
    });
    expect(createNoPassphrase.code).toBe(2);
    expect(existsSync(join(home.path, 'profiles')) && readdirSync(join(home.path, 'profiles')).length).toBe(2);
  });

  it('refuses a wrong passphrase with exit 3 and leaves the database byte-identical', async () => {
    const before = sha256(dbPath(alice.id));
    const wrong = { env: { ANGEL_MEMORY_PASSPHRASE: 'not the passphrase' } };

    const text = await cli(['memory', 'list', '--profile', 'Alice'], wrong);
    expect(text.code).toBe(3);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^error WRONG_KEY: /);

    const asJson = await cli(['--json', 'stats', '--profile', alice.id], wrong);
    expect(asJson.code).toBe(3);
    expect(asJson.stdout).toBe('');
    expect(jsonError(asJson)).toEqual({ code: 'WRONG_KEY', message: 'wrong passphrase' });

    expect(sha256(dbPath(alice.id))).toBe(before);
  });

  it('adds, edits, trashes, restores and purges a memory, keeping every version', async () => {
    const p = ['--profile', 'alice', '--json'];
    const added = ok<Memory>(
      await cli(['memory', 'add', ...p, '--tag', 'work', '--tag', 'plans', 'Call Dana on Monday']),
    );
    expect(added).toMatchObject({ content: 'Call Dana on Monday', category: 'manual', tags: ['plans', 'work'] });

    const fromStdin = ok<Memory>(
      await cli(['memory', 'add', ...p, '--category', 'interesting', '--visibility', 'public', '-'], {
        input: 'Dana prefers email\n',
      }),
    );
    expect(fromStdin).toMatchObject({ content: 'Dana prefers email', category: 'interesting', visibility: 'public' });

    ok(await cli(['memory', 'edit', ...p, added.id, '--content', 'Call Dana on Tuesday']));
    ok(await cli(['memory', 'edit', ...p, added.id, '--category', 'system', '--tag', 'urgent']));
    ok(await cli(['memory', 'edit', ...p, added.id, '--content', '-'], { input: 'Email Dana on Tuesday' }));

    const got = ok<Memory & { versions: MemoryVersion[] }>(await cli(['memory', 'get', ...p, added.id]));
    expect(got).toMatchObject({ content: 'Email Dana on Tuesday', category: 'system', tags: ['urgent'], edited: true });
    expect(got.versions.map((v) => [v.version, v.content, v.category, v.changedBy])).toEqual([
      [1, 'Call Dana on Monday', 'manual', 'cli'],
      [2, 'Call Dana on Tuesday', 'manual', 'cli'],
      [3, 'Call Dana on Tuesday', 'system', 'cli'],
    ]);
    const text = await cli(['memory', 'get', '--profile', 'alice', added.id]);
    expect(text.stdout).toContain('Email Dana on Tuesday');
    expect(text.stdout).toMatch(/earlier versions \(3\)/);

    const purgeLive = await cli(['memory', 'purge', '--profile', 'alice', added.id]);
    expect(purgeLive.code).toBe(1);
    expect(purgeLive.stderr).toMatch(/^error CONFLICT: /);

    expect(ok<Memory>(await cli(['memory', 'delete', ...p, added.id])).deletedAt).not.toBeNull();
    const live = ok<{ items: Memory[]; total: number }>(await cli(['memory', 'list', ...p]));
    expect(live.items.map((m) => m.id)).toEqual([fromStdin.id]);
    const trash = ok<{ items: Memory[]; total: number }>(await cli(['memory', 'list', ...p, '--trash']));
    expect(trash).toMatchObject({ total: 1, items: [{ id: added.id }] });

    expect(ok<Memory>(await cli(['memory', 'restore', ...p, added.id])).deletedAt).toBeNull();
    const tagged = ok<{ items: Memory[] }>(await cli(['memory', 'list', ...p, '--tag', 'urgent']));
    expect(tagged.items.map((m) => m.id)).toEqual([added.id]);

    ok(await cli(['memory', 'delete', ...p, added.id]));
    expect(ok(await cli(['memory', 'purge', ...p, added.id]))).toEqual({ id: added.id, purged: true });
    const gone = await cli(['memory', 'get', ...p, added.id]);
    expect(gone.code).toBe(1);
    expect(jsonError(gone).code).toBe('NOT_FOUND');
  });

  it('stores a secret setting from stdin and never shows it', async () => {
    const apiKey = 'omi_dev_5e6f7a8b9c0d1e2f3a4b5c6d';
    secrets.push(apiKey);
    const runs: { stdout: string; stderr: string }[] = [];

    const set = await cli(['settings', 'set', '--profile', 'alice', 'omi.apiKey', '-'], { input: `${apiKey}\n` });
    runs.push(set);
    expect(set.code, set.stderr).toBe(0);

    const text = await cli(['settings', 'get', '--profile', 'alice', 'omi.apiKey']);
    runs.push(text);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/omi\.apiKey is set/);

    const asJson = await cli(['settings', 'get', '--profile', 'alice', 'omi.apiKey', '--json']);
    runs.push(asJson);
    expect(json(asJson)).toEqual({ key: 'omi.apiKey', secret: true, set: true, value: null });

    const onArgv = await cli(['settings', 'set', '--profile', 'alice', 'omi.apiKey', 'omi_dev_onargv123']);
    expect(onArgv.code).toBe(2);
    expect(onArgv.stderr).toMatch(/^error BAD_INPUT: omi\.apiKey is a secret/);

    const unknown = await cli(['settings', 'get', '--profile', 'alice', 'omi.apikey']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^error BAD_INPUT: unknown setting/);

    for (const r of runs) expect(r.stdout + r.stderr).not.toContain(apiKey);
  });

  it('reads conversations with their segments', async () => {
    // Conversations arrive by webhook or sync, not the CLI: store one through the core directly.
    const host = makeCore(home.path);
    try {
      const session = await host.core.unlock('alice', { kind: 'passphrase', passphrase: PASS });
      const fixture: unknown = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/conversation-created.json'), 'utf8'));
      upsertConversation(session.db, must(normalizeOmiConversation(fixture)), 'webhook', {
        now: () => new Date(),
        actor: 'test',
      });
    } finally {
      await host.close();
    }

    const list = ok<{ items: { id: string; title: string }[]; total: number }>(
      await cli(['conversation', 'list', '--profile', 'alice', '--json']),
    );
    expect(list.total).toBe(1);
    const id = list.items[0]?.id ?? '';
    const detail = ok<ConversationDetail>(await cli(['conversation', 'get', '--profile', 'alice', id, '--json']));
    expect(detail.title).toBe('Vendor call about the spring hardware order');
    expect(detail.segments).toHaveLength(3);
    expect(detail.segments[0]?.text).toBe('Can we get the 500 units before the end of March?');

    const trash = ok<{ total: number }>(await cli(['conversation', 'list', '--profile', 'alice', '--trash', '--json']));
    expect(trash.total).toBe(0);
  });

  it('prints stats and a healthy doctor report', async () => {
    const stats = ok<Stats>(await cli(['stats', '--profile', 'alice', '--json']));
    expect(Object.keys(stats).sort()).toEqual(
      ['conversations', 'embeddings', 'inbox', 'memories', 'outbox', 'segments', 'tags', 'trashed'].sort(),
    );
    expect(stats).toMatchObject({ conversations: 1, segments: 3, memories: 1, trashed: 0, embeddings: 0 });
    expect(typeof stats.inbox).toBe('object');
    expect(typeof stats.outbox).toBe('object');

    const doctor = await cli(['doctor', '--profile', 'alice', '--json']);
    const report = ok<{ profileId: string; healthy: boolean; checks: { name: string; ok: boolean }[] }>(doctor);
    expect(report.profileId).toBe(alice.id);
    expect(report.healthy).toBe(true);
    expect(report.checks.map((c) => c.name)).toContain('integrity_check');
  });

  it('recovers a vault with the recovery key: the new passphrase opens it, the old one does not', async () => {
    const first = 'first passphrase 1';
    const second = 'second passphrase 2';
    secrets.push(first, second);
    const carol = ok<Created>(
      await cli(['profile', 'create', '--name', 'Carol', '--json'], { env: { ANGEL_MEMORY_PASSPHRASE: first } }),
    );
    secrets.push(carol.recoveryKey);
    ok(
      await cli(['memory', 'add', '--profile', 'carol', '--json', 'Written before recovery'], {
        env: { ANGEL_MEMORY_PASSPHRASE: first },
      }),
    );

    const wrongKey = await cli(['profile', 'recover', '--name', 'carol'], {
      env: { ANGEL_MEMORY_PASSPHRASE: second },
      input: `${'0'.repeat(64)}\n`,
    });
    expect(wrongKey.code).toBe(3);
    expect(wrongKey.stderr).toMatch(/^error WRONG_KEY: /);

    const recovered = await cli(['profile', 'recover', '--name', 'carol'], {
      env: { ANGEL_MEMORY_PASSPHRASE: second },
      input: `${carol.recoveryKey}\n`,
    });
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(recovered.stdout + recovered.stderr).not.toContain(carol.recoveryKey);

    const old = await cli(['memory', 'list', '--profile', 'carol'], { env: { ANGEL_MEMORY_PASSPHRASE: first } });
    expect(old.code).toBe(3);
    expect(old.stderr).toMatch(/^error WRONG_KEY: /);

    const list = ok<{ items: Memory[] }>(
      await cli(['memory', 'list', '--profile', 'carol', '--json'], { env: { ANGEL_MEMORY_PASSPHRASE: second } }),
    );
    expect(list.items.map((m) => m.content)).toEqual(['Written before recovery']);
  });

  it('writes no secret to any log file', () => {
    const logs = join(home.path, 'logs');
    const files = readdirSync(logs, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    const text = files.map((e) => readFileSync(join(e.parentPath, e.name), 'utf8')).join('\n');
    // The log is real: it recorded the commands that ran.
    expect(text).toContain('cli command finished');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('says to build first when out/main/cli.js is missing', async () => {
    const copy = join(home.path, 'unbuilt');
    mkdirSync(join(copy, 'bin'), { recursive: true });
    writeFileSync(join(copy, 'package.json'), '{"type":"module"}\n');
    copyFileSync(BIN, join(copy, 'bin', 'angel-memory'));
    const r = await cli(['profile', 'list'], { bin: join(copy, 'bin', 'angel-memory') });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error INTERNAL: run "npm run build" first\n');
  });
});

describe('runCli in-process', () => {
  async function inProcess(argv: string[], dataDir: string) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await runCli(argv, { stdin: Readable.from([]), stdout, stderr, env: { ANGEL_MEMORY_HOME: dataDir } });
    return { code, stdout: out, stderr: err };
  }

  it('prints help on stdout and usage errors on stderr, creating no files', async () => {
    const dir = tempDir('angel-memory-cli-inproc-');
    try {
      const help = await inProcess(['memory', '--help'], dir.path);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: angel-memory memory/);
      expect(help.stderr).toBe('');

      const missing = await inProcess(['memory', 'add', '--profile', 'x'], dir.path);
      expect(missing).toEqual({ code: 2, stdout: '', stderr: "error BAD_INPUT: missing required argument 'text'\n" });

      const noPassphrase = await inProcess(['--json', 'doctor', '--profile', 'x'], dir.path);
      expect(noPassphrase.code).toBe(2);
      expect(JSON.parse(noPassphrase.stderr)).toMatchObject({ error: { code: 'BAD_INPUT' } });

      expect(readdirSync(dir.path)).toEqual([]);
    } finally {
      dir.remove();
    }
  });
});
