// conversations.get's detail: location, app results, the raw payload and the memories extracted from it.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openTestDb, testContext, type TestDb } from '../../../../test/support/db';
import { normalizeOmiConversation } from '../../webhook/omi-conversation';
import { getConversation, upsertConversation } from './conversations';
import { createMemory, deleteMemory } from './memories';

type Json = Record<string, unknown>;

const body = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/conversation-created.json', import.meta.url), 'utf8'),
) as Json;
const ID = body.id as string;

let t: TestDb;
beforeEach(() => {
  t = openTestDb();
});
afterEach(() => t.close());

const ctx = testContext('webhook');

function store(input: Json): void {
  const result = normalizeOmiConversation(input);
  if (!result.ok) throw new Error(result.error.message);
  upsertConversation(t.db, result.value, 'webhook', ctx);
}

test('the detail carries the location, app results and the raw payload as received', () => {
  store(body);
  const c = getConversation(t.db, ID);
  expect(c.location).toEqual({ address: 'Alexanderplatz, Berlin, Germany', latitude: 52.52, longitude: 13.405 });
  expect(c.appResults).toContainEqual({
    appId: '01JABCDEF0123456789XYZ',
    content: 'Key numbers: 500 units, 6-week lead time.',
  });
  expect(c.raw).not.toBeNull();
  expect(JSON.parse(c.raw!)).toMatchObject({ id: ID, apps_results: body.apps_results });
  // Pretty-printed for reading.
  expect(c.raw).toContain('\n  "id": ');
});

test('a conversation without location or apps has none, and coordinates alone are a location', () => {
  store({ ...body, geolocation: null, apps_results: [], plugins_results: [] });
  expect(getConversation(t.db, ID)).toMatchObject({ location: null, appResults: [] });
  store({ ...body, geolocation: { latitude: 1.5, longitude: -2 }, title: 'changed' });
  expect(getConversation(t.db, ID).location).toEqual({ address: null, latitude: 1.5, longitude: -2 });
});

test('lists the memories extracted from it, without trashed ones or other conversations', () => {
  store(body);
  const mine = createMemory(
    t.db,
    { content: 'Order 500 units', category: 'interesting', conversationId: ID, origin: 'webhook' },
    ctx,
  );
  const gone = createMemory(
    t.db,
    { content: 'Trashed', category: 'interesting', conversationId: ID, origin: 'webhook' },
    ctx,
  );
  createMemory(t.db, { content: 'Elsewhere', category: 'interesting', conversationId: null, origin: 'local' }, ctx);
  deleteMemory(t.db, gone.id, ctx);
  expect(getConversation(t.db, ID).memories).toEqual([
    { id: mine.id, content: 'Order 500 units', category: 'interesting' },
  ]);
});
