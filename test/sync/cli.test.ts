// The sync commands: the key stored from stdin, `sync --once` exit statuses, status, dead letters and
// retry, conflicts and their resolution, in-process through runCli against the fake OMI; and `serve`
// syncing on start unless --no-sync.
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import { createFakeOmi, FAKE_KEY, type FakeOmi } from '../fakes/omi-server';
import { startServe } from '../support/cli';
import { tempDir } from '../support/core';
import { openSyncCore, PASS } from './support';

let dir: ReturnType<typeof tempDir>;
let omi: FakeOmi;

beforeAll(async () => {
  dir = tempDir();
  omi = await createFakeOmi({ rateLimit: false });
  const s = await openSyncCore(dir.path, omi.url, { key: null });
  await s.close();
});
afterAll(async () => {
  await omi.close();
  dir.remove();
});

async function cli(argv: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await runCli(argv, {
    stdin: Readable.from(stdin ? [stdin] : []),
    stdout,
    stderr,
    env: { ANGEL_MEMORY_HOME: dir.path, ANGEL_MEMORY_PASSPHRASE: PASS, ANGEL_MEMORY_OMI_API_URL: omi.url },
  });
  return { code, stdout: out, stderr: err, json: () => JSON.parse(out) as Record<string, unknown> };
}

describe('sync from the command line', () => {
  test('key from stdin, --once exit statuses, status, dead letters, retry, conflicts and resolve', async () => {
    const unset = await cli(['sync', '--profile', 'Sync', '--once']);
    expect(unset.code).toBe(1);
    expect(unset.stdout).toMatch(/not configured/);

    const set = await cli(['settings', 'set', '--profile', 'Sync', 'omi.apiKey', '-'], `${FAKE_KEY}\n`);
    expect(set.code).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(FAKE_KEY);

    const remote = omi.addMemory({ content: 'from OMI' });
    const added = await cli(['--json', 'memory', 'add', '--profile', 'Sync', 'from the command line']);
    const localId = added.json().id as string;
    const once = await cli(['--json', 'sync', '--profile', 'Sync', '--once']);
    expect(once.code).toBe(0);
    expect(once.json()).toMatchObject({
      ok: true,
      full: true,
      push: { created: 1 },
      pull: { memories: { created: 1 } },
    });
    expect([...omi.state.memories.values()].map((m) => m.content).sort()).toEqual([
      'from OMI',
      'from the command line',
    ]);

    // A permanent refusal: a dead letter, exit 1, listed, and queued again on request.
    await cli(['memory', 'add', '--profile', 'Sync', 'y'.repeat(501)]);
    const failing = await cli(['--json', 'sync', '--profile', 'Sync', '--once']);
    expect(failing.code).toBe(1);
    expect(failing.json()).toMatchObject({ ok: false, push: { dead: 1 } });
    const status = await cli(['--json', 'sync', 'status', '--profile', 'Sync']);
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({ configured: true, breaker: 'closed', deadLetters: 1, backlog: 0 });
    expect(status.json().lastSuccessAt).not.toBeNull();
    const dead = await cli(['--json', 'sync', 'dead-letters', '--profile', 'Sync']);
    const items = dead.json().items as { id: number; lastError: string }[];
    expect(items).toHaveLength(1);
    expect(items[0]!.lastError).toMatch(/422/);
    const text = await cli(['sync', 'dead-letters', '--profile', 'Sync']);
    expect(text.stdout).toMatch(/422/);
    const retried = await cli(['--json', 'sync', 'retry', '--profile', 'Sync', '--id', String(items[0]!.id)]);
    expect(retried.json()).toEqual({ retried: 1 });
    expect((await cli(['--json', 'sync', 'status', '--profile', 'Sync'])).json()).toMatchObject({
      deadLetters: 0,
      backlog: 1,
    });

    // A conflict: both sides edit the same memory.
    await cli(['memory', 'edit', '--profile', 'Sync', localId, '--content', 'mine']);
    const linked = [...omi.state.memories.values()].find((m) => m.content === 'from the command line')!;
    omi.state.memories.set(linked.id, { ...linked, content: 'theirs' });
    await cli(['sync', '--profile', 'Sync', '--once']);
    const conflicts = await cli(['--json', 'sync', 'conflicts', '--profile', 'Sync']);
    expect(conflicts.json().items).toMatchObject([
      { memoryId: localId, mine: { content: 'mine' }, theirs: { content: 'theirs' } },
    ]);
    const resolved = await cli(['sync', 'resolve', '--profile', 'Sync', localId, '--keep', 'edit'], 'both, merged\n');
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/resolved \(edit\): both, merged/);
    await cli(['sync', '--profile', 'Sync', '--once']);
    expect(omi.state.memories.get(linked.id)?.content).toBe('both, merged');
    expect(omi.state.memories.get(remote.id)?.content).toBe('from OMI');
    const bad = await cli(['sync', 'resolve', '--profile', 'Sync', localId, '--keep', 'whatever']);
    expect(bad.code).toBe(2);
  });

  test('serve syncs on start, and --no-sync contacts nobody', async () => {
    process.env.ANGEL_MEMORY_OMI_API_URL = omi.url;
    try {
      omi.requests.length = 0;
      const quiet = await startServe(dir.path, 'Sync', PASS, ['--no-sync', '--no-ui']);
      await new Promise((r) => setTimeout(r, 1000));
      quiet.child.kill('SIGTERM');
      expect(await quiet.exited).toBe(0);
      expect(omi.requests).toEqual([]);

      omi.addConversation({ id: 'while-serving', structured: { title: 'pulled by serve' } });
      const served = await startServe(dir.path, 'Sync', PASS, ['--no-ui']);
      for (let i = 0; i < 200 && !omi.requests.some((r) => r.path.endsWith('/user/action-items')); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      expect(omi.requests.map((r) => r.path)).toContain('/v1/dev/user/conversations');
      const list = await cli(['--json', 'conversation', 'list', '--profile', 'Sync']);
      expect(JSON.stringify(list.json())).toContain('while-serving');
    } finally {
      delete process.env.ANGEL_MEMORY_OMI_API_URL;
    }
  });
});
