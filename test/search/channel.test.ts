// The `search.query` channel through core.invoke and the `search` command through runCli, over a real
// vault: validation at the boundary, ranked results with ids, kinds, snippets and scores, --json, and
// semantic/hybrid answering with keyword results and a notice instead of an error.
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import type { SearchResponse } from '../../src/shared/models';
import { startFakeOllama } from '../fakes/ollama-server';
import { makeCore, must, tempDir, type TestCore } from '../support/core';
import { buildVault } from './fixture';

const PASS = 'search channel passphrase';
let home: ReturnType<typeof tempDir>;
let t: TestCore;
let profileId: string;

beforeAll(async () => {
  home = tempDir('angel-memory-search-');
  t = makeCore(home.path);
  const created = must(
    await t.core.invoke('profiles.create', { name: 'searcher', protection: { kind: 'passphrase', passphrase: PASS } }),
  );
  profileId = created.profile.id;
  buildVault(t.core.vault.session(profileId).db);
});
afterAll(async () => {
  await t.close();
  home.remove();
});

describe('search.query', () => {
  it('answers with ranked keyword results', async () => {
    const r = must(await t.core.invoke('search.query', { profileId, query: 'vendor pricing' }));
    expect(r).toMatchObject({ mode: 'keyword', modeUsed: 'keyword', notice: null, match: '"vendor" AND "pricing"' });
    expect(r.items.map((h) => h.id).sort()).toEqual(['c-standup', 'm-pricing']);
  });

  it('passes filters, prefix and paging through', async () => {
    const r = must(
      await t.core.invoke('search.query', {
        profileId,
        query: 'renegot',
        prefix: true,
        filters: { kinds: ['segment'], starred: true },
        limit: 5,
      }),
    );
    expect(r.items.map((h) => [h.id, h.startS])).toEqual([['c-standup#1', 30.5]]);
  });

  it('starts the search worker with the first query, answers the same through it, stops it when turned off and on lock', async () => {
    const other = must(
      await t.core.invoke('profiles.create', { name: 'worker', protection: { kind: 'passphrase', passphrase: PASS } }),
    ).profile.id;
    buildVault(t.core.vault.session(other).db);
    const search = t.core.search;
    expect(search.workerState(other)).toBe('none');
    const first = must(await t.core.invoke('search.query', { profileId: other, query: 'vendor pricing' }));
    await vi.waitFor(() => expect(search.workerState(other)).toBe('ready'), { timeout: 20_000, interval: 20 });
    expect(must(await t.core.invoke('search.query', { profileId: other, query: 'vendor pricing' }))).toEqual(first);
    // Turned off (a one-shot CLI host), the worker stops and queries start none.
    search.useWorker(false);
    expect(search.workerState(other)).toBe('none');
    expect(must(await t.core.invoke('search.query', { profileId: other, query: 'vendor pricing' }))).toEqual(first);
    expect(search.workerState(other)).toBe('none');
    search.useWorker(true);
    must(await t.core.invoke('search.query', { profileId: other, query: 'vendor pricing' }));
    expect(search.workerState(other)).not.toBe('none');
    must(await t.core.invoke('profiles.lock', { profileId: other }));
    expect(search.workerState(other)).toBe('none');
  });

  it('falls back to keyword with a notice for semantic and hybrid', async () => {
    for (const mode of ['semantic', 'hybrid'] as const) {
      const r = must(await t.core.invoke('search.query', { profileId, query: 'coffee', mode }));
      expect(r.mode).toBe(mode);
      expect(r.modeUsed).toBe('keyword');
      expect(r.notice).toMatch(/keyword/);
      expect(r.items.length).toBeGreaterThan(0);
    }
  });

  it('refuses bad input at the boundary', async () => {
    const bad = await t.core.invoke('search.query', { profileId, query: 'x', limit: 0 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    const date = await t.core.invoke('search.query', { profileId, query: 'x', filters: { from: 'soon' } });
    expect(date).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });
});

describe('angel-memory search', () => {
  async function cli(argv: string[], extraEnv: Record<string, string> = {}) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const env = { ANGEL_MEMORY_HOME: home.path, ANGEL_MEMORY_PASSPHRASE: PASS, ...extraEnv };
    const code = await runCli(argv, { stdin: Readable.from([]), stdout, stderr, env });
    return { code, stdout: out, stderr: err };
  }

  beforeAll(() => t.core.vault.lock(profileId));

  it('prints ranked results as JSON', async () => {
    const r = await cli(['--json', 'search', '--profile', 'searcher', 'coffee', '--limit', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as SearchResponse;
    expect(body.items).toHaveLength(2);
    for (const h of body.items) {
      expect(['memory', 'conversation', 'segment']).toContain(h.kind);
      expect(h.id).not.toBe('');
      expect(h.score).toBeGreaterThan(0);
      expect(h.snippet.highlights.length).toBeGreaterThan(0);
    }
  });

  it('prints a table with highlights, segment times and the fallback notice', async () => {
    const r = await cli(['search', '--profile', 'searcher', 'renegotiate', '--mode', 'hybrid']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^note: Semantic search needs an embedding provider/);
    expect(r.stdout).toContain('c-standup#1 @0:30');
    expect(r.stdout).toContain('[renegotiate]');
  });

  it('embeds with the configured provider and then answers hybrid queries with explanations', async () => {
    const fake = await startFakeOllama();
    try {
      const env = { ANGEL_MEMORY_OLLAMA_URL: fake.url };
      expect((await cli(['settings', 'set', '--profile', 'searcher', 'embedding.provider', 'ollama'])).code).toBe(0);
      const embed = await cli(['--json', 'embed', '--profile', 'searcher', '--batch', '2'], env);
      expect(embed.code).toBe(0);
      expect(JSON.parse(embed.stdout)).toMatchObject({
        embedded: 6,
        remaining: 0,
        model: 'ollama:nomic-embed-text@768',
      });
      expect(embed.stderr).toContain('embedded 6 of 6');
      const r = await cli(['--json', 'search', '--profile', 'searcher', 'balcony tomatoes', '--mode', 'hybrid'], env);
      const body = JSON.parse(r.stdout) as SearchResponse;
      expect(body).toMatchObject({ mode: 'hybrid', modeUsed: 'hybrid', notice: null });
      expect(body.items[0]).toMatchObject({ id: 'm-garden' });
      expect(body.items[0]!.explain.keyword).not.toBeNull();
      expect(body.items[0]!.explain.vector).not.toBeNull();
      // The fake only ever saw the embedding calls: the query went there too, as a query.
      expect(fake.texts()).toContain('balcony tomatoes');
    } finally {
      await fake.close();
    }
  });

  it('rejects an unknown mode as a usage error', async () => {
    const r = await cli(['search', '--profile', 'searcher', 'coffee', '--mode', 'psychic']);
    expect(r.code).toBe(2);
  });
});

describe('embedding.status', () => {
  it('reports the queue, usage and progress, and local edits queue their own embed jobs', async () => {
    const fake = await startFakeOllama();
    try {
      await t.core.unlock(profileId, { kind: 'passphrase', passphrase: PASS });
      t.core.search.configure({ env: { ANGEL_MEMORY_OLLAMA_URL: fake.url } });
      // The CLI test above embedded the vault with Ollama and spent nothing on the queue since.
      const before = must(await t.core.invoke('embedding.status', { profileId }));
      expect(before).toMatchObject({
        provider: 'ollama',
        model: 'ollama:nomic-embed-text@768',
        scheduled: false,
        breaker: 'closed',
        backlog: 0,
        deadLetters: 0,
        budget: null,
        paused: null,
        progress: { embedded: 0, vectors: 6 },
        lastError: null,
      });
      expect(before.today.calls).toBeGreaterThan(0);

      const memory = must(
        await t.core.invoke('memories.create', { profileId, content: 'Kites fly best in March', category: 'manual' }),
      );
      must(await t.core.invoke('memories.update', { profileId, id: memory.id, content: 'Kites fly best in April' }));
      t.core.settings.set(profileId, 'embedding.dailyCharacters', '5000', 'test');
      // One job covers both edits: the relay reads the text when it runs.
      expect(must(await t.core.invoke('embedding.status', { profileId }))).toMatchObject({
        backlog: 1,
        budget: { dailyCharacters: 5000 },
      });

      const report = await t.core.search.embed(profileId);
      expect(report).toMatchObject({ embedded: 1, error: null });
      expect(fake.texts()).toEqual(['Kites fly best in April']);
      const after = must(await t.core.invoke('embedding.status', { profileId }));
      expect(after).toMatchObject({ backlog: 0, progress: { embedded: 1, vectors: 7 } });
      expect(after.budget!.remaining).toBe(5000 - after.today.characters);
      expect(after.progress.lastSuccessAt).not.toBeNull();
    } finally {
      await fake.close();
    }
  });

  it('says why nothing is embedded without a provider', async () => {
    t.core.settings.set(profileId, 'embedding.provider', 'none', 'test');
    expect(must(await t.core.invoke('embedding.status', { profileId }))).toMatchObject({
      provider: null,
      model: null,
      paused: 'no-provider',
    });
    const bad = await t.core.invoke('embedding.status', { profileId: '' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });
});
