// A small vault for search tests: memories with categories, tags and dates, and conversations (one
// starred, one from another source, one trashed) whose transcripts carry timed segments.
import { readFileSync } from 'node:fs';
import type { Db } from '../../src/main/db/open';
import { upsertConversation } from '../../src/main/db/repos/conversations';
import { createMemory, deleteMemory } from '../../src/main/db/repos/memories';
import { normalizeOmiConversation } from '../../src/main/webhook/omi-conversation';
import { testContext } from '../support/db';

const body = JSON.parse(
  readFileSync(new URL('../fixtures/conversation-created.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

export interface ConversationSpec {
  id: string;
  title: string;
  overview: string;
  startedAt: string;
  segments: string[];
  source?: string;
  starred?: boolean;
  category?: string;
}

export function addConversation(db: Db, c: ConversationSpec): void {
  const structured: Record<string, unknown> = {
    ...(body.structured as Record<string, unknown>),
    title: c.title,
    overview: c.overview,
  };
  if (c.category) structured.category = c.category;
  const normalized = normalizeOmiConversation({
    ...body,
    id: c.id,
    created_at: c.startedAt,
    started_at: c.startedAt,
    source: c.source ?? 'omi',
    starred: c.starred ?? false,
    structured,
    transcript_segments: c.segments.map((text, i) => ({
      text,
      speaker_id: i % 2,
      start: i * 30 + 0.5,
      end: i * 30 + 20,
    })),
  });
  if (!normalized.ok) throw new Error(normalized.error.message);
  upsertConversation(db, normalized.value, 'webhook', testContext('webhook'));
}

export function addMemory(
  db: Db,
  id: string,
  content: string,
  extra: { createdAt?: string; tags?: string[]; category?: 'interesting' | 'system' | 'manual' } = {},
): void {
  createMemory(
    db,
    {
      id,
      content,
      category: extra.category ?? 'interesting',
      tags: extra.tags,
      origin: 'local',
      createdAt: extra.createdAt ?? '2026-01-05T12:00:00.000Z',
    },
    testContext(),
  );
}

export function buildVault(db: Db): void {
  addMemory(db, 'm-coffee', 'Dana prefers oat milk in her coffee', {
    tags: ['dana', 'food'],
    createdAt: '2026-01-02T09:00:00.000Z',
  });
  addMemory(db, 'm-pricing', 'The vendor raised pricing for the coffee beans by ten percent', {
    tags: ['work'],
    category: 'system',
    createdAt: '2026-02-10T09:00:00.000Z',
  });
  addMemory(db, 'm-garden', 'Tomatoes on the balcony need water every morning in July', {
    tags: ['home'],
    createdAt: '2026-03-01T09:00:00.000Z',
  });
  addMemory(db, 'm-cafe', 'Le café crème du coin est excellent', {
    tags: ['food'],
    createdAt: '2026-03-02T09:00:00.000Z',
  });
  addMemory(db, 'm-trashed', 'An old coffee note that was thrown away', { createdAt: '2026-01-03T09:00:00.000Z' });
  deleteMemory(db, 'm-trashed', testContext());
  addConversation(db, {
    id: 'c-standup',
    title: 'Weekly standup',
    overview: 'Roadmap review and the pricing change from the vendor',
    startedAt: '2026-02-11T10:00:00.000Z',
    starred: true,
    category: 'work',
    segments: [
      'Good morning everyone, let us start',
      'The vendor wants to renegotiate the contract in March',
      'We should ask Dana about the coffee budget',
    ],
  });
  addConversation(db, {
    id: 'c-walk',
    title: 'Evening walk',
    overview: 'Talked about the garden and the tomatoes',
    startedAt: '2026-03-05T18:00:00.000Z',
    source: 'phone',
    category: 'personal',
    segments: ['The tomatoes look great this year', 'Remember to buy a new watering can'],
  });
}
