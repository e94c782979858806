// Keyword search over a real encrypted vault: ranking across kinds, filters, snippets with highlight
// offsets, segment time jumps, phrase/exclusion syntax, prefix type-ahead and the candidate cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keywordSearch, type KeywordArgs } from '../../src/main/search/keyword';
import { AppError } from '../../src/main/errors';
import type { SearchFilters } from '../../src/shared/models';
import { openTestDb, type TestDb } from '../support/db';
import { addMemory, buildVault } from './fixture';

let t: TestDb;
beforeAll(() => {
  t = openTestDb();
  buildVault(t.db);
});
afterAll(() => t.close());

const search = (query: string, filters: Partial<SearchFilters> = {}, extra: Partial<KeywordArgs> = {}) =>
  keywordSearch(t.db, { query, filters: { includeTrash: false, ...filters }, limit: 20, offset: 0, ...extra });
const ids = (query: string, filters: Partial<SearchFilters> = {}, extra: Partial<KeywordArgs> = {}) =>
  search(query, filters, extra).items.map((h) => h.id);

describe('keyword search', () => {
  it('finds memories, conversations and segments in one ranked list', () => {
    const r = search('vendor');
    expect(r.match).toBe('"vendor"');
    expect(new Set(r.items.map((h) => h.kind))).toEqual(new Set(['memory', 'conversation', 'segment']));
    expect(r.items.map((h) => h.explain.keyword.rank)).toEqual(r.items.map((_, i) => i + 1));
    const scores = r.items.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('gives a segment its conversation and start time', () => {
    const hit = search('renegotiate').items[0]!;
    expect(hit).toMatchObject({
      kind: 'segment',
      id: 'c-standup#1',
      conversationId: 'c-standup',
      title: 'Weekly standup',
    });
    expect(hit.startS).toBe(30.5);
    expect(hit.endS).toBe(50);
  });

  it('returns snippets with highlight offsets into the snippet text', () => {
    const hit = search('oat milk').items[0]!;
    expect(hit.id).toBe('m-coffee');
    expect(hit.snippet.text).toBe('Dana prefers oat milk in her coffee');
    expect(hit.snippet.highlights.map(([s, e]) => hit.snippet.text.slice(s, e))).toEqual(['oat', 'milk']);
  });

  it('highlights folded diacritics in the original text', () => {
    const hit = search('cafe creme').items[0]!;
    expect(hit.id).toBe('m-cafe');
    expect(hit.snippet.highlights.map(([s, e]) => hit.snippet.text.slice(s, e))).toEqual(['café', 'crème']);
  });

  it('understands phrases and exclusions', () => {
    expect(ids('"coffee beans"')).toEqual(['m-pricing']);
    expect(ids('"beans coffee"')).toEqual([]);
    expect(ids('coffee -dana')).toEqual(['m-pricing']);
    expect(ids('tomatoes -"evening walk" -balcony')).toEqual(['c-walk#0']);
  });

  it('answers type-ahead with prefixes', () => {
    expect(ids('renegot')).toEqual([]);
    expect(ids('renegot', {}, { prefix: true })).toEqual(['c-standup#1']);
    expect(ids('water*').sort()).toEqual(['c-walk#1', 'm-garden']);
  });

  it('keeps the trash out unless asked', () => {
    expect(ids('thrown')).toEqual([]);
    expect(ids('thrown', { includeTrash: true })).toEqual(['m-trashed']);
  });

  it('filters by kind, category, tags, source, starred and dates', () => {
    expect(ids('coffee', { kinds: ['segment'] })).toEqual(['c-standup#2']);
    expect(ids('coffee', { categories: ['system'] })).toEqual(['m-pricing']);
    expect(ids('coffee', { categories: ['work'] })).toEqual(['c-standup#2']);
    expect(ids('coffee', { tags: ['DANA'] })).toEqual(['m-coffee']);
    expect(ids('coffee', { tags: ['food', 'work'] })).toEqual([]);
    expect(ids('tomatoes', { sources: ['phone'] }).sort()).toEqual(['c-walk', 'c-walk#0']);
    expect(ids('tomatoes', { sources: ['local'] })).toEqual(['m-garden']);
    expect(ids('vendor', { starred: true }).sort()).toEqual(['c-standup', 'c-standup#1']);
    expect(ids('tomatoes', { starred: false }).sort()).toEqual(['c-walk', 'c-walk#0', 'm-garden']);
    expect(ids('coffee', { from: '2026-02-01', to: '2026-02-10' })).toEqual(['m-pricing']);
    expect(ids('coffee', { to: '2026-01-02' })).toEqual(['m-coffee']);
    expect(ids('coffee', { from: '2026-02-11T09:59:00Z' })).toEqual(['c-standup#2']);
    expect(search('coffee', { tags: ['dana'], to: '2026-12-31' }).items[0]!.explain.filters).toEqual(['to', 'tags']);
  });

  it('refuses a malformed date filter', () => {
    expect(() => search('coffee', { from: 'last tuesday' })).toThrow(AppError);
  });

  it('pages through the ranked list', () => {
    const all = ids('coffee');
    expect(all.length).toBeGreaterThan(2);
    expect(ids('coffee', {}, { limit: 2, offset: 1 })).toEqual(all.slice(1, 3));
  });

  it('matches nothing for an empty or exclusion-only query', () => {
    expect(search('').items).toEqual([]);
    expect(search('-coffee').items).toEqual([]);
    expect(search('"*:()').match).toBe('');
  });
});

describe('candidate cap', () => {
  let v: TestDb;
  beforeAll(() => {
    v = openTestDb();
    // 30 matches; the strongest (the word three times in a short text) is the oldest.
    addMemory(v.db, 'strong', 'lantern lantern lantern');
    for (let i = 0; i < 29; i++)
      addMemory(v.db, `weak-${String(i).padStart(2, '0')}`, `a lantern among many other words number ${i} here`);
  });
  afterAll(() => v.close());
  const run = (cap: number) =>
    keywordSearch(v.db, { query: 'lantern', filters: { includeTrash: false }, limit: 5, offset: 0, cap });

  it('ranks every match exactly when there are fewer than the cap', () => {
    const r = run(100);
    expect(r.items[0]!.id).toBe('strong');
    expect(r.items.every((h) => !h.explain.capped)).toBe(true);
  });

  it('ranks only the newest matches of a very common query and says so', () => {
    const r = run(10);
    expect(r.items.map((h) => h.id)).not.toContain('strong');
    expect(r.items.every((h) => h.explain.capped && Number(h.id.slice(5)) >= 19)).toBe(true);
  });

  it('applies filters before the cap, so a selective filter still finds old matches', () => {
    const r = keywordSearch(v.db, {
      query: 'lantern',
      filters: { includeTrash: false, to: '2026-01-05T12:00:00.000Z' },
      limit: 50,
      offset: 0,
      cap: 10,
    });
    expect(r.items).toHaveLength(10);
  });
});
