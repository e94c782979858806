// Zod schemas for the OMI Developer API responses (base /v1/dev). Lenient like the
// webhook parser: unknown keys pass, legacy memory categories map to "system", and only what we
// cannot store (no id, wrong types) fails the parse, which the client reports as a server error.
import { z } from 'zod';
import { isoDate } from '../webhook/omi-conversation';

const optDate = isoDate.nullish().transform((v) => v ?? null);

/** OMI's memory categories as the app stores them: interesting, manual, and everything else is system. */
export const RemoteCategory = z
  .string()
  .nullish()
  .transform((c): 'interesting' | 'system' | 'manual' => (c === 'interesting' || c === 'manual' ? c : 'system'));

export const RemoteMemory = z.looseObject({
  id: z.string().min(1).max(200),
  content: z.string(),
  category: RemoteCategory,
  visibility: z
    .string()
    .nullish()
    .transform((v): 'public' | 'private' => (v === 'public' ? 'public' : 'private')),
  tags: z
    .array(z.string())
    .nullish()
    .transform((t) => t ?? []),
  created_at: optDate,
  updated_at: optDate,
  conversation_id: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  manually_added: z.boolean().nullish(),
  reviewed: z.boolean().nullish(),
  edited: z.boolean().nullish(),
});
export type RemoteMemory = z.infer<typeof RemoteMemory>;

export const RemoteMemoryList = z.array(RemoteMemory);
export const BatchCreated = z.looseObject({ memories: z.array(RemoteMemory), created_count: z.number().int() });
export const Success = z.looseObject({ success: z.boolean() });

/** Conversations are parsed further by normalizeOmiConversation; here only the list shape and ids. */
export const RemoteConversationList = z.array(z.looseObject({ id: z.string().min(1).max(200) }));

export const RemoteActionItem = z.looseObject({
  id: z.string().min(1).max(200),
  description: z.string(),
  completed: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  created_at: optDate,
  updated_at: optDate,
  due_at: optDate,
  completed_at: optDate,
  conversation_id: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
});
export type RemoteActionItem = z.infer<typeof RemoteActionItem>;

/** The docs show a bare list; some backends wrap it. Accept both. */
export const RemoteActionItemList = z
  .union([z.array(RemoteActionItem), z.looseObject({ action_items: z.array(RemoteActionItem) })])
  .transform((v) => (Array.isArray(v) ? v : v.action_items));

/** A batch create answers with the created items, bare or wrapped like the list. */
export const BatchActionItemsCreated = RemoteActionItemList;

export const ErrorBody = z.looseObject({ detail: z.unknown() });
