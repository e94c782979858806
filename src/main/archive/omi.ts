// Imports of OMI's own data: a JSON array of conversations (webhook body or Developer API item, both
// parsed by the webhook's normalizer) or a JSON array of memories in the Developer API's shape.
// Unlike an `.angelmem` archive, this is data from elsewhere: a malformed item is rejected on its
// own, with its position and reason in the report, and the valid ones still import.
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { ImportReport } from '../../shared/models';
import { conversationHash } from '../db/repos/conversations';
import { describe, isoDate, normalizeOmiConversation } from '../webhook/omi-conversation';
import { ArchiveError, type ConversationRecord, type MemoryRecord } from './format';

export const OMI_FORMATS = ['omi-conversations', 'omi-memories'] as const;
export type OmiFormat = (typeof OMI_FORMATS)[number];

const MAX_OMI_FILE_BYTES = 512 * 1024 * 1024;

export function readJsonArray(path: string): unknown[] {
  if (statSync(path).size > MAX_OMI_FILE_BYTES) {
    throw new ArchiveError('ENTRY_TOO_LARGE', `the file is larger than ${MAX_OMI_FILE_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ArchiveError('BAD_LINE', 'the file is not valid JSON');
  }
  if (!Array.isArray(json)) throw new ArchiveError('BAD_LINE', 'expected a JSON array');
  return json;
}

export interface OmiStaged {
  conversations: ConversationRecord[];
  memories: MemoryRecord[];
  rejected: ImportReport['rejected'];
}

const itemId = (item: unknown, i: number) =>
  typeof item === 'object' && item !== null && typeof (item as { id?: unknown }).id === 'string'
    ? (item as { id: string }).id
    : `#${i}`;

export function stageOmiConversations(items: unknown[], now: () => Date): OmiStaged {
  const out: OmiStaged = { conversations: [], memories: [], rejected: [] };
  items.forEach((item, i) => {
    const parsed = normalizeOmiConversation(item);
    if (!parsed.ok) {
      out.rejected.push({ table: 'conversations', id: itemId(item, i), reason: parsed.error.message });
      return;
    }
    const c = parsed.value;
    const createdAt = c.createdAt ?? c.startedAt ?? now().toISOString();
    out.conversations.push({
      id: c.id,
      createdAt,
      startedAt: c.startedAt,
      finishedAt: c.finishedAt,
      source: c.source,
      language: c.language,
      title: c.title,
      overview: c.overview,
      emoji: c.emoji,
      category: c.category,
      status: c.status,
      discarded: c.discarded,
      starred: c.starred,
      visibility: c.visibility,
      geolocation: c.geolocation ? JSON.stringify(c.geolocation) : null,
      raw: JSON.stringify(c.raw),
      contentHash: conversationHash(c),
      origin: 'import',
      // Derived from the payload, not the clock, so importing the same file twice is a no-op.
      updatedAt: c.finishedAt ?? createdAt,
      deletedAt: null,
      segments: c.segments.map((g, idx) => ({ idx, ...g })),
      actionItems: c.actionItems.map((a) => ({ ...a, remoteId: null, origin: 'import', deletedAt: null })),
      events: c.events,
    });
  });
  return out;
}

/** OMI's current categories; older exports carry values (core, hobbies, ...) that OMI maps to system. */
function memoryCategory(value: string | null | undefined): MemoryRecord['category'] {
  if (value === 'interesting' || value === 'manual') return value;
  return 'system';
}

const OmiMemory = z.looseObject({
  id: z.string().min(1).max(200),
  content: z.string().trim().min(1).max(100_000),
  category: z.string().max(100).nullish(),
  visibility: z.enum(['public', 'private']).nullish(),
  tags: z.array(z.string().max(200)).max(1000).nullish(),
  created_at: isoDate,
  updated_at: isoDate.nullish(),
  conversation_id: z.string().max(200).nullish(),
  manually_added: z.boolean().nullish(),
  reviewed: z.boolean().nullish(),
  edited: z.boolean().nullish(),
});

export function stageOmiMemories(items: unknown[]): OmiStaged {
  const out: OmiStaged = { conversations: [], memories: [], rejected: [] };
  items.forEach((item, i) => {
    const parsed = OmiMemory.safeParse(item);
    if (!parsed.success) {
      out.rejected.push({ table: 'memories', id: itemId(item, i), reason: describe(parsed.error, 'OMI memory') });
      return;
    }
    const m = parsed.data;
    out.memories.push({
      // OMI's id is both our id and the remote id, so a later sync recognises the memory.
      id: m.id,
      content: m.content,
      category: memoryCategory(m.category),
      visibility: m.visibility ?? 'private',
      conversationId: m.conversation_id ?? null,
      segmentStart: null,
      segmentEnd: null,
      manuallyAdded: m.manually_added ?? false,
      reviewed: m.reviewed ?? false,
      edited: m.edited ?? false,
      origin: 'import',
      remoteId: m.id,
      remoteHash: null,
      createdAt: m.created_at,
      updatedAt: m.updated_at ?? m.created_at,
      deletedAt: null,
      tags: (m.tags ?? []).map((t) => t.trim()).filter(Boolean),
      versions: [],
    });
  });
  return out;
}
