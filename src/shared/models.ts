// Shapes that cross the process boundary (IPC, HTTP, CLI --json). Plain data only: ids, ISO
// timestamps, no secrets. The main process maps database rows to these.
import { z } from 'zod';

export const Id = z.string().min(1).max(200);

export const ProfileSummary = z.object({
  id: Id,
  name: z.string(),
  createdAt: z.string(),
  locked: z.boolean(),
  protection: z.array(z.enum(['passphrase', 'keychain', 'recovery'])),
});
export type ProfileSummary = z.infer<typeof ProfileSummary>;

export const MemoryCategory = z.enum(['interesting', 'system', 'manual']);
export const Visibility = z.enum(['public', 'private']);

export const Memory = z.object({
  id: Id,
  content: z.string(),
  category: MemoryCategory,
  visibility: Visibility,
  tags: z.array(z.string()),
  conversationId: z.string().nullable(),
  manuallyAdded: z.boolean(),
  reviewed: z.boolean(),
  edited: z.boolean(),
  origin: z.enum(['webhook', 'sync', 'import', 'local']),
  createdAt: z.string(),
  updatedAt: z.string(),
  deletedAt: z.string().nullable(),
});
export type Memory = z.infer<typeof Memory>;

export const MemoryVersion = z.object({
  version: z.number().int(),
  content: z.string(),
  category: MemoryCategory,
  tags: z.array(z.string()),
  changedBy: z.string(),
  reason: z.string(),
  changedAt: z.string(),
});
export type MemoryVersion = z.infer<typeof MemoryVersion>;

export const Segment = z.object({
  index: z.number().int(),
  text: z.string(),
  speaker: z.string().nullable(),
  speakerId: z.number().int().nullable(),
  isUser: z.boolean(),
  personId: z.string().nullable(),
  start: z.number(),
  end: z.number(),
});
export type Segment = z.infer<typeof Segment>;

export const ActionItem = z.object({
  id: z.number().int(),
  description: z.string(),
  completed: z.boolean(),
  dueAt: z.string().nullable(),
});

export const CalendarEvent = z.object({
  id: z.number().int(),
  title: z.string(),
  description: z.string(),
  start: z.string().nullable(),
  durationMinutes: z.number().nullable(),
});

export const ConversationSummary = z.object({
  id: Id,
  title: z.string(),
  overview: z.string(),
  emoji: z.string().nullable(),
  category: z.string(),
  source: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  starred: z.boolean(),
  origin: z.enum(['webhook', 'sync', 'import', 'local']),
  deletedAt: z.string().nullable(),
});
export type ConversationSummary = z.infer<typeof ConversationSummary>;

export const ConversationDetail = ConversationSummary.extend({
  language: z.string().nullable(),
  status: z.string().nullable(),
  segments: z.array(Segment),
  actionItems: z.array(ActionItem),
  events: z.array(CalendarEvent),
});
export type ConversationDetail = z.infer<typeof ConversationDetail>;

export const Stats = z.object({
  conversations: z.number().int(),
  segments: z.number().int(),
  memories: z.number().int(),
  trashed: z.number().int(),
  tags: z.number().int(),
  inbox: z.record(z.string(), z.number().int()),
  outbox: z.record(z.string(), z.number().int()),
  embeddings: z.number().int(),
});
export type Stats = z.infer<typeof Stats>;

export const Page = z.object({
  limit: z.number().int().min(1).max(1000).default(50),
  offset: z.number().int().min(0).default(0),
});

export const InboxEntry = z.object({
  id: z.number().int(),
  kind: z.string(),
  receivedAt: z.string(),
  uid: z.string().nullable(),
  idempotencyKey: z.string(),
  payloadId: z.string().nullable(),
  status: z.string(),
  error: z.string().nullable(),
  size: z.number().int(),
  handlingMs: z.number().nullable(),
});
export type InboxEntry = z.infer<typeof InboxEntry>;

export const DaySummary = z.object({
  id: z.number().int(),
  summary: z.string(),
  createdAt: z.string(),
  receivedAt: z.string(),
});
export type DaySummary = z.infer<typeof DaySummary>;
