import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openTestDb, testContext, type TestDb } from '../../../test/support/db';
import { conversationHash, getConversation, upsertConversation } from '../db/repos/conversations';
import { CONVERSATION_CATEGORIES, normalizeOmiConversation, type NormalizedConversation } from './omi-conversation';

type Json = Record<string, unknown>;

/** Read the way a webhook body arrives: text parsed by JSON.parse. */
function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8')) as Json;
}

function normalized(input: unknown): NormalizedConversation {
  const result = normalizeOmiConversation(input);
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

function expectValidationError(input: unknown): string {
  const result = normalizeOmiConversation(input);
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.error.code).toBe('VALIDATION');
  return result.error.message;
}

let t: TestDb;
beforeAll(() => {
  t = openTestDb();
});
afterAll(() => t.close());

const ctx = testContext('webhook');

function storedRaw(id: string): unknown {
  const row = t.db.prepare('SELECT raw FROM conversations WHERE id = ?').get(id) as { raw: string } | undefined;
  return row && (JSON.parse(row.raw) as unknown);
}

/**
 * The whole contract for any input: a VALIDATION error or a conversation the repo can store and read
 * back with the same number of segments.
 */
function checkNormalizeAndStore(input: unknown): void {
  const result = normalizeOmiConversation(input);
  if (!result.ok) {
    expect(result.error.code).toBe('VALIDATION');
    expect(result.error.message).toMatch(/^invalid OMI conversation at /);
    return;
  }
  const c = result.value;
  expect(c.raw).toBe(input);
  expect((CONVERSATION_CATEGORIES as readonly string[]).includes(c.category)).toBe(true);
  const { id, outcome } = upsertConversation(t.db, c, 'webhook', ctx);
  expect(id).toBe(c.id);
  const back = getConversation(t.db, c.id);
  expect(back.id).toBe(c.id);
  expect(back.category).toBe(c.category);
  expect(back.segments).toHaveLength(c.segments.length);
  expect(back.actionItems).toHaveLength(c.actionItems.length);
  expect(back.events).toHaveLength(c.events.length);
  // Random ids repeat across runs; an 'unchanged' outcome means this exact content is already stored.
  const stored = t.db.prepare('SELECT raw, content_hash FROM conversations WHERE id = ?').get(c.id) as {
    raw: string;
    content_hash: string;
  };
  expect(stored.content_hash).toBe(conversationHash(c));
  if (outcome !== 'unchanged') expect(stored.raw).toBe(JSON.stringify(input));
}

describe('normalizeOmiConversation: properties', () => {
  // 'binary' strings include lone surrogates, which JSON.parse happily produces from "\ud800".
  const text = fc.string({ unit: 'binary', maxLength: 30 });
  const date = fc.oneof(
    { weight: 8, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
    { weight: 2, arbitrary: fc.constantFrom('2026-01-05T11:25:43.120934+00:00', '2026-01-05', null) },
  );
  const seconds = fc.double({ min: 0, max: 1e6, noNaN: true });
  const extraKeys = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
  const withExtras = <T extends object>(known: fc.Arbitrary<T>) =>
    fc.tuple(extraKeys, known).map(([extra, k]) => ({ ...extra, ...k }));

  /**
   * Objects with the real field names (all optional, plus unknown keys) whose values are of the right
   * type except one time in `junkEvery`, when they are anything at all (undefined, NaN, nested junk).
   */
  function conversationShaped(junkEvery: number) {
    const junk = fc.oneof(fc.anything({ maxDepth: 2 }), fc.constantFrom('not a date', '', NaN, Infinity, -1.5));
    const maybe = <T>(good: fc.Arbitrary<T>) =>
      fc.oneof({ weight: junkEvery - 1, arbitrary: good }, { weight: 1, arbitrary: junk });
    const segment = withExtras(
      fc.record(
        {
          id: maybe(fc.oneof(fc.string({ maxLength: 6 }), fc.integer())),
          text: maybe(text),
          speaker: maybe(fc.option(fc.constantFrom('SPEAKER_00', 'SPEAKER_01'))),
          speaker_id: maybe(fc.option(fc.integer({ min: 0, max: 5 }))),
          speakerId: maybe(fc.option(fc.integer({ min: 0, max: 5 }))),
          is_user: maybe(fc.option(fc.boolean())),
          person_id: maybe(fc.option(fc.string({ maxLength: 8 }))),
          start: maybe(seconds),
          end: maybe(seconds),
        },
        { requiredKeys: ['text'] },
      ),
    );
    const actionItem = withExtras(
      fc.record(
        {
          description: maybe(text),
          completed: maybe(fc.boolean()),
          created_at: maybe(date),
          updated_at: maybe(date),
          due_at: maybe(date),
          completed_at: maybe(date),
        },
        { requiredKeys: ['description'] },
      ),
    );
    const event = withExtras(
      fc.record(
        {
          title: maybe(text),
          description: maybe(fc.option(text)),
          start: maybe(date),
          duration: maybe(fc.option(seconds)),
          created: maybe(fc.boolean()),
        },
        { requiredKeys: ['title'] },
      ),
    );
    const structured = withExtras(
      fc.record(
        {
          title: maybe(fc.option(text)),
          overview: maybe(fc.option(text)),
          emoji: maybe(fc.option(fc.string({ maxLength: 2 }))),
          category: maybe(fc.oneof(fc.constantFrom(...CONVERSATION_CATEGORIES), fc.string({ maxLength: 8 }))),
          action_items: maybe(fc.option(fc.array(actionItem, { maxLength: 3 }))),
          events: maybe(fc.option(fc.array(event, { maxLength: 3 }))),
        },
        { requiredKeys: [] },
      ),
    );
    const geolocation = withExtras(
      fc.record({
        latitude: maybe(fc.double({ min: -90, max: 90, noNaN: true })),
        longitude: maybe(fc.double({ min: -180, max: 180, noNaN: true })),
      }),
    );
    return withExtras(
      fc.record(
        {
          // Short ids repeat across runs, so the repo's update and unchanged paths are exercised too.
          id: maybe(fc.string({ minLength: 1, maxLength: 4 })),
          created_at: maybe(date),
          started_at: maybe(date),
          finished_at: maybe(date),
          source: maybe(fc.option(fc.constantFrom('omi', 'friend', 'limitless', 'brand-new-device'))),
          language: maybe(fc.option(fc.constantFrom('en', 'de'))),
          status: maybe(fc.option(fc.constantFrom('completed', 'processing'))),
          visibility: maybe(fc.option(fc.constantFrom('private', 'shared'))),
          discarded: maybe(fc.option(fc.boolean())),
          starred: maybe(fc.option(fc.boolean())),
          geolocation: maybe(fc.option(geolocation)),
          structured: maybe(fc.option(structured)),
          transcript_segments: maybe(fc.option(fc.array(segment, { maxLength: 5 }))),
          photos: maybe(fc.array(fc.record({ base64: fc.base64String({ maxLength: 16 }), discarded: fc.boolean() }))),
        },
        { requiredKeys: [] },
      ),
    );
  }
  // Mostly broken inputs and mostly sound ones, so both the rejecting and the storing paths get runs.
  const conversationLike = fc.oneof(
    { weight: 1, arbitrary: conversationShaped(4) },
    { weight: 2, arbitrary: conversationShaped(300) },
  );

  test('never throws on arbitrary JSON; ok results store and read back', () => {
    fc.assert(fc.property(fc.jsonValue(), checkNormalizeAndStore), { numRuns: 1000 });
  });

  test('never throws on arbitrary JSON objects that carry a string id', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), fc.string({ maxLength: 4 }), (o, id) =>
        checkNormalizeAndStore({ ...o, id }),
      ),
      { numRuns: 1000 },
    );
  });

  test('never throws on conversation-shaped objects with random field types; ok results store and read back', () => {
    let accepted = 0;
    fc.assert(
      fc.property(conversationLike, (input) => {
        checkNormalizeAndStore(input);
        if (normalizeOmiConversation(input).ok) accepted += 1;
      }),
      { numRuns: 1000 },
    );
    // Not a timing or a statistics claim: only that the generator reaches the storing branch at all.
    expect(accepted).toBeGreaterThan(0);
  });

  test('a well-typed conversation keeps its segment texts through the database', () => {
    const wellTyped = fc.record({
      id: fc.uuid(),
      transcript_segments: fc.array(
        fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 40 }), speaker_id: fc.nat(9), start: fc.nat(100) }),
        { maxLength: 8 },
      ),
    });
    fc.assert(
      fc.property(wellTyped, (input) => {
        const c = normalized(input);
        upsertConversation(t.db, c, 'sync', ctx);
        const back = getConversation(t.db, input.id);
        expect(back.segments.map((g) => g.text)).toEqual(input.transcript_segments.map((g) => g.text));
        expect(back.segments.map((g) => g.speakerId)).toEqual(input.transcript_segments.map((g) => g.speaker_id));
      }),
      { numRuns: 200 },
    );
  });
});

describe('normalizeOmiConversation: examples', () => {
  test('the conversation-created webhook fixture normalizes completely', () => {
    const body = fixture('conversation-created.json');
    const c = normalized(body);
    expect(c).toMatchObject({
      id: 'c1b2e3f4-0a9b-4c8d-9e7f-112233445566',
      createdAt: '2026-01-05T11:25:43.120Z',
      startedAt: '2026-01-05T11:02:10.000Z',
      finishedAt: '2026-01-05T11:24:58.000Z',
      source: 'omi',
      language: 'en',
      title: 'Vendor call about the spring hardware order',
      emoji: '📦',
      category: 'business',
      status: 'completed',
      visibility: 'private',
      discarded: false,
      starred: false,
    });
    expect(c.overview).toMatch(/^Discussed lead times for 500 units/);
    expect(c.geolocation).toMatchObject({
      latitude: 52.52,
      longitude: 13.405,
      address: 'Alexanderplatz, Berlin, Germany',
    });
    expect(c.segments).toHaveLength(3);
    expect(c.segments[1]).toEqual({
      segmentId: null,
      text: 'Lead time is six weeks, so if you confirm this week, yes.',
      speaker: 'SPEAKER_01',
      speakerId: 1,
      isUser: false,
      personId: 'p_8a7b6c',
      start: 4.1,
      end: 8.9,
    });
    expect(c.segments.map((g) => g.isUser)).toEqual([true, false, true]);
    expect(c.actionItems).toEqual([
      {
        description: 'Send Dana the revised pricing sheet by Thursday',
        completed: false,
        createdAt: '2026-01-05T11:25:40.002Z',
        updatedAt: '2026-01-05T11:25:40.002Z',
        dueAt: '2026-01-08T17:00:00.000Z',
        completedAt: null,
      },
    ]);
    expect(c.events).toEqual([
      {
        title: 'Logistics follow-up',
        description: 'Review shipping options',
        start: '2026-01-09T15:00:00.000Z',
        durationMinutes: 30,
        created: false,
      },
    ]);
    expect(c.raw).toBe(body);
  });

  test('unknown top-level and nested fields are accepted and kept in the stored raw payload', () => {
    const body = fixture('conversation-created.json');
    const structured = body.structured as Json;
    const segments = body.transcript_segments as Json[];
    const input = {
      ...body,
      id: 'with-unknown-fields',
      brand_new_top_level: { nested: [1, 2, { deep: true }] },
      structured: {
        ...structured,
        mood: 'upbeat',
        action_items: (structured.action_items as Json[]).map((a) => ({ ...a, priority: 'high' })),
        events: (structured.events as Json[]).map((e) => ({ ...e, calendar_id: 'cal_1' })),
      },
      transcript_segments: segments.map((g, i) => ({ ...g, sentiment: i / 10, words: [{ w: 'x' }] })),
      geolocation: { ...(body.geolocation as Json), accuracy_m: 12 },
    };
    const c = normalized(input);
    expect(c.segments).toHaveLength(3);
    expect(c.actionItems).toHaveLength(1);
    expect(c.events).toHaveLength(1);
    expect(c.geolocation).toMatchObject({ accuracy_m: 12 });

    expect(upsertConversation(t.db, c, 'webhook', ctx).outcome).toBe('created');
    const raw = storedRaw('with-unknown-fields');
    expect(raw).toEqual(input);
    // Fields the fixture itself carries that the parser does not use survive too.
    expect(raw).toMatchObject({
      apps_results: [{ app_id: '01JABCDEF0123456789XYZ' }],
      plugins_results: [{ plugin_id: '01JABCDEF0123456789XYZ' }],
      is_locked: false,
      folder_id: null,
      transcript_segments_compressed: false,
    });
  });

  test('an unknown, missing or mistyped-null category becomes "other"', () => {
    const base = fixture('conversation-created.json');
    const structured = base.structured as Json;
    expect(normalized({ ...base, structured: { ...structured, category: 'astrology' } }).category).toBe('other');
    expect(normalized({ ...base, structured: { ...structured, category: null } }).category).toBe('other');
    expect(normalized({ ...base, structured: { ...structured, category: 'Business' } }).category).toBe('other');
    const bare = normalized({ id: 'no-structured' });
    expect(bare).toMatchObject({ category: 'other', title: '', overview: '', emoji: null });
    expect(bare.segments).toEqual([]);
    expect(bare.actionItems).toEqual([]);
    expect(bare.events).toEqual([]);
    for (const category of CONVERSATION_CATEGORIES) {
      expect(normalized({ id: 'x', structured: { category } }).category).toBe(category);
    }
  });

  test('accepts both speaker_id and camelCase speakerId, preferring speaker_id when both are present', () => {
    const realtime = JSON.parse(
      readFileSync(new URL('../../../test/fixtures/realtime-transcript.array.json', import.meta.url), 'utf8'),
    ) as Json[];
    const c = normalized({
      id: 'speakers',
      transcript_segments: [
        ...realtime,
        { text: 'snake', speaker_id: 3 },
        { text: 'both', speaker_id: 4, speakerId: 9 },
        { text: 'neither' },
      ],
    });
    expect(c.segments.map((g) => g.speakerId)).toEqual([0, 1, 3, 4, null]);
    expect(c.segments.map((g) => g.isUser)).toEqual([true, false, false, false, false]);
  });

  test('a missing, empty or non-string id is a VALIDATION error', () => {
    const body = fixture('conversation-created.json');
    const { id: _id, ...withoutId } = body;
    expect(expectValidationError(withoutId)).toMatch(/at id/);
    expect(expectValidationError({ ...body, id: '' })).toMatch(/at id/);
    expect(expectValidationError({ ...body, id: 42 })).toMatch(/at id/);
    expect(expectValidationError({ ...body, id: null })).toMatch(/at id/);
  });

  test('what cannot be stored meaningfully is a VALIDATION error naming the field', () => {
    const body = fixture('conversation-created.json');
    expect(expectValidationError(null)).toMatch(/at body/);
    expect(expectValidationError([body])).toMatch(/at body/);
    expect(expectValidationError('{"id":"x"}')).toMatch(/at body/);
    expect(expectValidationError({ ...body, started_at: 'yesterday-ish' })).toMatch(/at started_at/);
    expect(expectValidationError({ ...body, transcript_segments: [{ speaker: 'SPEAKER_00' }] })).toMatch(
      /at transcript_segments\.0\.text/,
    );
    expect(expectValidationError({ ...body, transcript_segments: 'three segments' })).toMatch(/at transcript_segments/);
  });

  test('a Developer API conversation list item normalizes', () => {
    const [item] = JSON.parse(
      readFileSync(new URL('../../../test/fixtures/dev-api.conversations-list.json', import.meta.url), 'utf8'),
    ) as Json[];
    const c = normalized(item);
    expect(c).toMatchObject({
      id: 'c1b2e3f4-0a9b-4c8d-9e7f-112233445566',
      title: 'Vendor call about the spring hardware order',
      category: 'business',
      startedAt: '2026-01-05T11:02:10.000Z',
      geolocation: null,
      status: null,
      discarded: false,
    });
    expect(c.segments).toEqual([
      {
        segmentId: 's_01',
        text: 'Can we get the 500 units before the end of March?',
        speaker: null,
        speakerId: 0,
        isUser: false,
        personId: null,
        start: 0,
        end: 3.6,
      },
    ]);
    expect(c.actionItems).toEqual([]);
    expect(c.events).toEqual([]);
  });
});
