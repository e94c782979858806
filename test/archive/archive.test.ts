// The archive through the core's IPC contract: strategies and re-import, secrets never exported,
// filters, progress and atomic files, age compatibility, OMI imports, Markdown output, backups.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ageDecryptWithPassphrase } from './age-reference';
import { APP_VERSION, MANIFEST } from '../../src/main/archive/format';
import { upsertConversation } from '../../src/main/db/repos/conversations';
import { normalizeOmiConversation } from '../../src/main/webhook/omi-conversation';
import { makeCore, must, tempDir, type TestCore } from '../support/core';
import { logicalDump } from './support';
import { readZip } from './zip';

const PASSPHRASE = 'correct horse battery staple';
const fixture = (name: string) => join(import.meta.dirname, '../fixtures', name);

let dir: ReturnType<typeof tempDir>;
let host: TestCore;
let clock: Date;
const at = (iso: string) => (clock = new Date(iso));

beforeEach(() => {
  dir = tempDir();
  clock = new Date('2026-01-05T12:00:00.000Z');
  host = makeCore(join(dir.path, 'data'), { clock: { now: () => clock } });
});
afterEach(async () => {
  await host.close();
  dir.remove();
});

async function profile(name: string): Promise<string> {
  const created = must(
    await host.core.invoke('profiles.create', { name, protection: { kind: 'passphrase', passphrase: PASSPHRASE } }),
  );
  return created.profile.id;
}

const db = (id: string) => host.core.vault.session(id).db;
const file = (name: string) => join(dir.path, name);

test('strategies skip / overwrite / newer, and re-import is a no-op', async () => {
  const a = await profile('A');
  const m = must(await host.core.invoke('memories.create', { profileId: a, content: 'original', tags: ['x'] }));
  must(await host.core.invoke('archive.export', { profileId: a, path: file('v1.angelmem') }));
  at('2026-01-06T12:00:00.000Z');
  must(await host.core.invoke('memories.update', { profileId: a, id: m.id, content: 'edited later' }));
  must(await host.core.invoke('archive.export', { profileId: a, path: file('v2.angelmem') }));

  const b = await profile('B');
  const imp = (path: string, strategy: 'skip' | 'overwrite' | 'newer') =>
    host.core.invoke('archive.import', { profileId: b, path: file(path), strategy });
  const content = async () => must(await host.core.invoke('memories.get', { profileId: b, id: m.id })).content;

  const first = must(await imp('v1.angelmem', 'skip'));
  expect(first.counts.memories).toMatchObject({ inserted: 1 });
  expect(await content()).toBe('original');
  // skip: the vault's copy stays, and the report says why.
  const skipped = must(await imp('v2.angelmem', 'skip'));
  expect(skipped.skipped).toEqual([{ table: 'memories', id: m.id, reason: 'already in this vault (strategy skip)' }]);
  expect(skipped.changed).toBe(false);
  expect(await content()).toBe('original');
  // newer: v2 is newer than the vault's copy, so it replaces it ...
  expect(must(await imp('v2.angelmem', 'newer')).counts.memories).toMatchObject({ replaced: 1 });
  expect(await content()).toBe('edited later');
  // ... but the older v1 does not replace the newer copy.
  const older = must(await imp('v1.angelmem', 'newer'));
  expect(older.skipped[0]?.reason).toMatch(/as new or newer/);
  expect(await content()).toBe('edited later');
  // overwrite: v1 replaces whatever is there; the replaced state is kept as a version.
  expect(must(await imp('v1.angelmem', 'overwrite')).counts.memories).toMatchObject({ replaced: 1 });
  const after = must(await host.core.invoke('memories.get', { profileId: b, id: m.id }));
  expect(after.content).toBe('original');
  expect(after.versions.at(-1)).toMatchObject({ content: 'edited later', reason: 'import' });
  // The same archive again, under every strategy: nothing changes, not even the audit log.
  const dump = logicalDump(db(b));
  const audits = db(b).prepare('SELECT count(*) AS n FROM audit_log').get();
  for (const s of ['skip', 'overwrite', 'newer'] as const) {
    const again = must(await imp('v1.angelmem', s));
    expect(again.changed).toBe(false);
    expect(again.counts.memories).toMatchObject({ unchanged: 1 });
  }
  expect(logicalDump(db(b))).toEqual(dump);
  expect(db(b).prepare('SELECT count(*) AS n FROM audit_log').get()).toEqual(audits);
});

test('conversations follow the strategies too, keeping the replaced state as a revision', async () => {
  const a = await profile('A');
  const raw = JSON.parse(readFileSync(fixture('conversation-created.json'), 'utf8')) as Record<string, unknown>;
  const ctx = { now: () => clock, actor: 'test' };
  const norm = (body: unknown) => {
    const r = normalizeOmiConversation(body);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  upsertConversation(db(a), norm(raw), 'webhook', ctx);
  must(await host.core.invoke('archive.export', { profileId: a, path: file('c1.angelmem') }));
  at('2026-01-07T00:00:00.000Z');
  upsertConversation(db(a), norm({ ...raw, structured: { title: 'Renamed', category: 'business' } }), 'webhook', ctx);
  must(await host.core.invoke('archive.export', { profileId: a, path: file('c2.angelmem') }));
  const b = await profile('B');
  must(await host.core.invoke('archive.import', { profileId: b, path: file('c1.angelmem') }));
  const r = must(
    await host.core.invoke('archive.import', { profileId: b, path: file('c2.angelmem'), strategy: 'newer' }),
  );
  expect(r.counts.conversations).toMatchObject({ replaced: 1 });
  const c = must(await host.core.invoke('conversations.get', { profileId: b, id: raw.id as string }));
  expect(c.title).toBe('Renamed');
  expect(c.segments).toHaveLength(3);
  expect(db(b).prepare('SELECT title FROM conversation_revisions').all()).toEqual([
    { title: 'Vendor call about the spring hardware order' },
  ]);
});

test('an archive never contains secrets', async () => {
  const a = await profile('A');
  const secrets = ['omi_dev_SECRETKEY123456', 'whsec_SIGNINGSECRET99', 'GEMINIKEY-abcdefghijkl'];
  host.core.settings.set(a, 'omi.apiKey', secrets[0]!, 'test');
  host.core.settings.set(a, 'webhook.signingSecret', secrets[1]!, 'test');
  host.core.settings.set(a, 'gemini.apiKey', secrets[2]!, 'test');
  must(await host.core.invoke('memories.create', { profileId: a, content: 'a plain memory' }));
  must(
    await host.core.invoke('archive.export', { profileId: a, path: file('s.angelmem'), filter: { embeddings: true } }),
  );
  const session = host.core.vault.session(a);
  const settingValues = (
    session.db.prepare('SELECT value FROM settings WHERE secret = 1').all() as { value: string }[]
  ).map((r) => JSON.parse(r.value) as string);
  expect(settingValues.some((v) => v.startsWith('AGE-SECRET-KEY-'))).toBe(true);
  const keys = session.profile.keys;
  const forbidden = [
    ...secrets,
    ...settingValues,
    keys.recovery.ct,
    keys.passphrase!.ct,
    'AGE-SECRET-KEY',
    session.profile.webhook.secretSha256,
  ];
  const bytes = readFileSync(file('s.angelmem'));
  const contents = Buffer.concat([bytes, ...(await readZip(bytes)).map((e) => e.data)]).toString('latin1');
  for (const s of forbidden) expect(contents.includes(s), s.slice(0, 12)).toBe(false);
  expect(contents.includes('a plain memory')).toBe(true);
});

test('filtered export: date range, kinds and tags', async () => {
  const a = await profile('A');
  const add = async (content: string, iso: string, tags: string[]) => {
    at(iso);
    return must(await host.core.invoke('memories.create', { profileId: a, content, tags }));
  };
  await add('old', '2025-06-01T00:00:00.000Z', ['work']);
  await add('mid', '2026-01-10T00:00:00.000Z', ['Travel']);
  await add('new', '2026-03-01T00:00:00.000Z', ['work', 'home']);
  const exp = async (filter: object) => {
    const r = must(await host.core.invoke('archive.export', { profileId: a, path: file('f.angelmem'), filter }));
    const entries = await readZip(readFileSync(file('f.angelmem')));
    const memories = entries.find((e) => e.name === 'memories.jsonl');
    return {
      counts: r.counts,
      names: entries.map((e) => e.name),
      contents: memories
        ? memories.data
            .toString()
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { content: string }).content)
        : [],
    };
  };
  expect((await exp({ from: '2026-01-01', to: '2026-02-01' })).contents).toEqual(['mid']);
  expect((await exp({ tags: ['WORK'] })).contents).toEqual(['old', 'new']);
  expect((await exp({ tags: ['travel'], from: '2026-02-01' })).contents).toEqual([]);
  const onlyConversations = await exp({ kinds: ['conversations'] });
  expect(onlyConversations.names).toEqual(['conversations.jsonl', MANIFEST]);
  expect((await exp({})).counts.memories).toBe(3);
});

test('export reports progress, yields while it runs and appears atomically', async () => {
  const a = await profile('A');
  const d = db(a);
  const insert = d.prepare(
    "INSERT INTO memories (id, content, category, origin, created_at, updated_at) VALUES (?, ?, 'system', 'sync', ?, ?)",
  );
  d.transaction(() => {
    for (let i = 0; i < 3000; i++)
      insert.run(`m${i}`, `memory number ${i}`, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
  })();
  const progress: { operation: string; phase: string; done: number }[] = [];
  const off = host.core.on('archive.progress', (p) => progress.push(p));
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 0);
  const pending = host.core.invoke('archive.export', { profileId: a, path: file('p.angelmem') });
  // While the export runs the target does not exist, only its temp file.
  await new Promise((r) => setImmediate(r));
  expect(existsSync(file('p.angelmem'))).toBe(false);
  const result = must(await pending);
  clearInterval(timer);
  off();
  expect(result.counts.memories).toBe(3000);
  expect(ticks).toBeGreaterThan(0);
  expect(
    progress
      .filter((p) => p.phase === 'memories')
      .map((p) => p.done)
      .at(-1),
  ).toBe(3000);
  expect(progress.filter((p) => p.phase === 'memories').length).toBeGreaterThan(5);
  expect(readdirSync(dir.path).filter((n) => n.startsWith('p.angelmem'))).toEqual(['p.angelmem']);
  // A failed export leaves neither the target nor a temp file.
  const bad = await host.core.invoke('archive.export', {
    profileId: a,
    path: join(dir.path, 'missing-dir', 'x.angelmem'),
  });
  expect(bad.ok).toBe(false);
  expect(readdirSync(dir.path).filter((n) => n.includes('.tmp'))).toEqual([]);
});

test('an encrypted archive is a standard age file; a wrong passphrase is a clear error', async () => {
  const a = await profile('A');
  must(await host.core.invoke('memories.create', { profileId: a, content: 'secret plans 🗝️', tags: ['t'] }));
  const path = file('e.angelmem.age');
  const r = must(await host.core.invoke('archive.export', { profileId: a, path, passphrase: 'archive pass' }));
  expect(r.encrypted).toBe(true);
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
  expect(bytes.toString('latin1').includes('secret plans')).toBe(false);
  // Decrypted by an implementation of the age spec that shares no code with ours.
  const zip = ageDecryptWithPassphrase(bytes, 'archive pass');
  const entries = await readZip(zip);
  const manifest = JSON.parse(entries.at(-1)!.data.toString()) as { format: string; appVersion: string };
  expect(manifest).toMatchObject({ format: 'angelmem', appVersion: APP_VERSION });
  expect(entries.find((e) => e.name === 'memories.jsonl')!.data.toString()).toContain('secret plans 🗝️');

  const wrong = await host.core.invoke('archive.import', { profileId: a, path, passphrase: 'not it' });
  expect(wrong).toEqual({
    ok: false,
    error: { code: 'WRONG_KEY', message: 'archive refused (WRONG_PASSPHRASE): wrong archive passphrase' },
  });
  const none = await host.core.invoke('archive.import', { profileId: a, path });
  expect(none.ok || none.error.code).toBe('BAD_INPUT');
  const preview = must(await host.core.invoke('archive.inspect', { path, passphrase: 'archive pass' }));
  expect(preview).toMatchObject({ encrypted: true, counts: { memories: 1 }, profile: { name: 'A' } });
});

test('APP_VERSION follows package.json', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
  expect(APP_VERSION).toBe(pkg.version);
});

test('OMI JSON imports: webhook and Developer API conversations, Developer API memories', async () => {
  const a = await profile('A');
  const webhookShape = JSON.parse(readFileSync(fixture('conversation-created.json'), 'utf8')) as { id: string };
  const devApi = JSON.parse(readFileSync(fixture('dev-api.conversations-list.json'), 'utf8')) as { id: string }[];
  const conversations = [{ ...webhookShape, id: 'webhook-shaped' }, ...devApi, { id: 42 }, { structured: {} }];
  writeFileSync(file('conversations.json'), JSON.stringify(conversations));
  const r = must(
    await host.core.invoke('archive.import', {
      profileId: a,
      path: file('conversations.json'),
      format: 'omi-conversations',
    }),
  );
  expect(r.counts.conversations).toMatchObject({ inserted: 2, rejected: 2 });
  expect(r.rejected.map((x) => x.id)).toEqual(['#2', '#3']);
  expect(r.rejected[0]!.reason).toMatch(/invalid OMI conversation at id/);
  const c = must(await host.core.invoke('conversations.get', { profileId: a, id: 'webhook-shaped' }));
  expect(c).toMatchObject({ origin: 'import', category: 'business', emoji: '📦' });
  expect(c.segments).toHaveLength(3);
  expect(c.actionItems[0]).toMatchObject({ description: 'Send Dana the revised pricing sheet by Thursday' });
  const dev = must(await host.core.invoke('conversations.get', { profileId: a, id: devApi[0]!.id }));
  expect(dev.segments[0]).toMatchObject({ text: 'Can we get the 500 units before the end of March?', speakerId: 0 });

  const memories = JSON.parse(readFileSync(fixture('dev-api.memories-list.json'), 'utf8')) as object[];
  writeFileSync(
    file('memories.json'),
    JSON.stringify([
      ...memories,
      { id: 'legacy', content: 'Likes hiking', category: 'hobbies', created_at: '2025-01-01T00:00:00Z' },
      { id: 'x' },
    ]),
  );
  const mr = must(
    await host.core.invoke('archive.import', { profileId: a, path: file('memories.json'), format: 'omi-memories' }),
  );
  expect(mr.counts.memories).toMatchObject({ inserted: 3, rejected: 1 });
  const got = must(await host.core.invoke('memories.get', { profileId: a, id: 'm_9d2e7b3a51' }));
  expect(got).toMatchObject({
    category: 'interesting',
    tags: ['sport'],
    edited: true,
    origin: 'import',
    updatedAt: '2026-01-06T09:12:44.000Z',
  });
  expect(must(await host.core.invoke('memories.get', { profileId: a, id: 'legacy' })).category).toBe('system');
  // Both files again: nothing changes.
  const dump = logicalDump(db(a));
  for (const [path, format] of [
    ['conversations.json', 'omi-conversations'],
    ['memories.json', 'omi-memories'],
  ] as const) {
    const again = must(
      await host.core.invoke('archive.import', { profileId: a, path: file(path), format, strategy: 'overwrite' }),
    );
    expect(again.changed).toBe(false);
  }
  expect(logicalDump(db(a))).toEqual(dump);
  const notArray = file('obj.json');
  writeFileSync(notArray, '{"memories": []}');
  const bad = await host.core.invoke('archive.import', { profileId: a, path: notArray, format: 'omi-memories' });
  expect(bad.ok || bad.error.message).toMatch(/expected a JSON array/);
});

test('an OMI file that lists the same item twice imports it once (new records are written in batches)', async () => {
  const a = await profile('A');
  const memory = (content: string) => ({
    id: 'twin',
    content,
    category: 'interesting',
    created_at: '2025-01-01T00:00:00Z',
  });
  writeFileSync(
    file('twins.json'),
    JSON.stringify([memory('first copy'), { ...memory('another memory'), id: 'other' }, memory('second copy')]),
  );
  const r = must(
    await host.core.invoke('archive.import', { profileId: a, path: file('twins.json'), format: 'omi-memories' }),
  );
  expect(r.counts.memories).toMatchObject({ inserted: 2, skipped: 1 });
  expect(r.skipped).toEqual([{ table: 'memories', id: 'twin', reason: 'already in this vault (strategy skip)' }]);
  expect(must(await host.core.invoke('memories.get', { profileId: a, id: 'twin' })).content).toBe('first copy');
});

test('Markdown export of the fixtures matches the reviewed output', async () => {
  const a = await profile('A');
  writeFileSync(file('c.json'), `[${readFileSync(fixture('conversation-created.json'), 'utf8')}]`);
  must(await host.core.invoke('archive.import', { profileId: a, path: file('c.json'), format: 'omi-conversations' }));
  must(
    await host.core.invoke('archive.import', {
      profileId: a,
      path: fixture('dev-api.memories-list.json'),
      format: 'omi-memories',
    }),
  );
  const out = file('notes');
  const r = must(await host.core.invoke('archive.export', { profileId: a, path: out, format: 'markdown' }));
  expect(r.counts).toMatchObject({ conversations: 1, memories: 2 });
  const expected = join(import.meta.dirname, 'expected');
  const convName = '2026-01-05-vendor-call-about-the-spring-hardware-order-c1b2e3f4.md';
  expect(readdirSync(join(out, 'conversations'))).toEqual([convName]);
  expect(readFileSync(join(out, 'conversations', convName), 'utf8')).toBe(
    readFileSync(join(expected, 'conversation.md.golden'), 'utf8'),
  );
  expect(readFileSync(join(out, 'memories.md'), 'utf8')).toBe(
    readFileSync(join(expected, 'memories.md.golden'), 'utf8'),
  );
  // The folder is written whole or not at all: a second export to the same place is refused.
  const again = await host.core.invoke('archive.export', { profileId: a, path: out, format: 'markdown' });
  expect(again.ok).toBe(false);
  expect(readdirSync(dir.path).filter((n) => n.includes('.tmp'))).toEqual([]);
});

test('imported rows are in the keyword index, a twin replaced within the same import included', async () => {
  const a = await profile('A');
  const memory = (id: string, content: string) => ({
    id,
    content,
    category: 'interesting',
    created_at: '2025-01-01T00:00:00Z',
  });
  // Under overwrite the second twin replaces the first within the same import: the index must hold
  // the second text only.
  writeFileSync(
    file('twins.json'),
    JSON.stringify([
      memory('twin', 'walrus first copy'),
      memory('other', 'walrus other'),
      memory('twin', 'narwhal copy'),
    ]),
  );
  const r = must(
    await host.core.invoke('archive.import', {
      profileId: a,
      path: file('twins.json'),
      format: 'omi-memories',
      strategy: 'overwrite',
    }),
  );
  expect(r.counts.memories).toMatchObject({ inserted: 2, replaced: 1 });
  writeFileSync(file('c.json'), `[${readFileSync(fixture('conversation-created.json'), 'utf8')}]`);
  must(await host.core.invoke('archive.import', { profileId: a, path: file('c.json'), format: 'omi-conversations' }));

  const ids = async (query: string) =>
    must(await host.core.invoke('search.query', { profileId: a, query })).items.map((h) => h.id);
  expect(await ids('walrus')).toEqual(['other']);
  expect(await ids('narwhal')).toEqual(['twin']);
  expect(await ids('first')).toEqual([]);
  expect((await ids('hardware')).length).toBeGreaterThan(0);
  for (const fts of ['fts_memories', 'fts_conversations']) {
    db(a).prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 1)`).run();
  }
  const triggers = db(a)
    .prepare("SELECT name FROM sqlite_master WHERE name IN ('memories_fts_insert', 'conversations_fts_insert')")
    .pluck()
    .all();
  expect(triggers.sort()).toEqual(['conversations_fts_insert', 'memories_fts_insert']);
  must(await host.core.invoke('memories.create', { profileId: a, content: 'a dugong after the import' }));
  expect(await ids('dugong')).toHaveLength(1);
});
