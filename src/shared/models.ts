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

/** Where a memory came from: its conversation and, when known, the transcript lines behind it. */
export const MemoryOrigin = z
  .object({
    conversationId: z.string(),
    conversationTitle: z.string().nullable(),
    lines: z.array(z.object({ index: z.number().int(), text: z.string(), startS: z.number() })),
  })
  .nullable();
export type MemoryOrigin = z.infer<typeof MemoryOrigin>;

/** Where a memory stands with OMI. */
export const MemorySync = z.object({
  state: z.enum(['local', 'pending', 'synced', 'failed', 'deleted-remotely', 'conflict']),
  remoteId: z.string().nullable(),
  /** The last error of a push that was given up on. */
  lastError: z.string().nullable(),
});
export type MemorySync = z.infer<typeof MemorySync>;

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
  /** Where it happened, as OMI reported it (an address, coordinates, or both). */
  location: z
    .object({ address: z.string().nullable(), latitude: z.number().nullable(), longitude: z.number().nullable() })
    .nullable(),
  /** What OMI apps produced from it (`apps_results` in the payload). */
  appResults: z.array(z.object({ appId: z.string().nullable(), content: z.string() })),
  /** The payload as received, pretty-printed; read-only (payloads carry no secrets). */
  raw: z.string().nullable(),
  /** Memories extracted from it (not trashed). */
  memories: z.array(z.object({ id: z.string(), content: z.string(), category: z.string() })),
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

/** One point of the debug page's charts (core/metrics.ts). */
export const MetricsSample = z.object({
  at: z.string(),
  /** Webhook deliveries ingested since the previous sample. */
  deliveries: z.number().int(),
  ingestP50Ms: z.number().nullable(),
  ingestP99Ms: z.number().nullable(),
  /** Pending and leased outbox jobs by kind. */
  outbox: z.record(z.string(), z.number().int()),
  embeddingBacklog: z.number().int(),
  segmentBacklog: z.number().int(),
});
export type MetricsSample = z.infer<typeof MetricsSample>;

/** What "send test delivery" saw (core/webhook-test.ts); never carries the webhook secret. */
export const WebhookTestResult = z.object({
  ok: z.boolean(),
  status: z.number().int().nullable(),
  ms: z.number(),
  inboxId: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type WebhookTestResult = z.infer<typeof WebhookTestResult>;

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

// Archives and backups (src/main/archive): what export takes, what import reports.
export const ArchiveFilter = z.object({
  /** ISO timestamps; records are in range by creation time (a conversation by its start). */
  from: z.string().min(1).max(64).optional(),
  to: z.string().min(1).max(64).optional(),
  kinds: z
    .array(z.enum(['conversations', 'memories', 'daySummaries']))
    .min(1)
    .optional(),
  /** Memories carrying any of these tags (case-insensitive); conversations carry no tags. */
  tags: z.array(z.string().min(1).max(64)).min(1).max(64).optional(),
  embeddings: z.boolean().optional(),
});
export type ArchiveFilter = z.infer<typeof ArchiveFilter>;

export const ArchiveCounts = z.object({
  conversations: z.number().int().min(0),
  segments: z.number().int().min(0),
  actionItems: z.number().int().min(0),
  events: z.number().int().min(0),
  memories: z.number().int().min(0),
  memoryVersions: z.number().int().min(0),
  daySummaries: z.number().int().min(0),
  embeddings: z.number().int().min(0),
});
export type ArchiveCounts = z.infer<typeof ArchiveCounts>;

export const ImportStrategy = z.enum(['skip', 'overwrite', 'newer']);
export type ImportStrategy = z.infer<typeof ImportStrategy>;

const TableOutcome = z.object({
  inserted: z.number().int(),
  replaced: z.number().int(),
  unchanged: z.number().int(),
  skipped: z.number().int(),
  rejected: z.number().int(),
});
const RecordNote = z.object({ table: z.string(), id: z.string(), reason: z.string() });

export const ImportReport = z.object({
  strategy: ImportStrategy,
  format: z.string(),
  counts: z.record(z.string(), TableOutcome),
  skipped: z.array(RecordNote),
  rejected: z.array(RecordNote),
  /** False when the import wrote nothing (e.g. the same archive imported again). */
  changed: z.boolean(),
});
export type ImportReport = z.infer<typeof ImportReport>;

export const ExportResult = z.object({
  path: z.string(),
  format: z.enum(['angelmem', 'markdown']),
  encrypted: z.boolean(),
  bytes: z.number().int(),
  counts: ArchiveCounts,
});
export type ExportResult = z.infer<typeof ExportResult>;

export const ArchivePreview = z.object({
  format: z.string(),
  formatVersion: z.string(),
  appVersion: z.string(),
  createdAt: z.string(),
  profile: z.object({ id: z.string(), name: z.string() }),
  encrypted: z.boolean(),
  counts: ArchiveCounts,
  entries: z.array(z.object({ name: z.string(), records: z.number().int(), bytes: z.number().int() })),
});
export type ArchivePreview = z.infer<typeof ArchivePreview>;

export const BackupInfo = z.object({
  name: z.string(),
  createdAt: z.string(),
  bytes: z.number().int(),
});
export type BackupInfo = z.infer<typeof BackupInfo>;

export const ArchiveProgress = z.object({
  profileId: z.string(),
  operation: z.enum(['export', 'import', 'backup', 'restore']),
  phase: z.string(),
  done: z.number().int(),
  total: z.number().int().nullable(),
});
export type ArchiveProgress = z.infer<typeof ArchiveProgress>;

// ---- OMI sync ----------------------------------------------------------------------------------------

export const SyncStatus = z.object({
  /** An OMI API key is set for the profile. */
  configured: z.boolean(),
  /** A pass is in progress. */
  running: z.boolean(),
  /** The scheduler runs for this profile (serve, the app). */
  scheduled: z.boolean(),
  breaker: z.enum(['closed', 'open', 'half-open', 'isolated']),
  /** Outbox jobs for OMI not done yet (pending or leased). */
  backlog: z.number().int(),
  deadLetters: z.number().int(),
  conflicts: z.number().int(),
  lastSuccessAt: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  rate: z.object({ limit: z.number().int(), remaining: z.number().int(), blockedUntil: z.string().nullable() }),
});
export type SyncStatus = z.infer<typeof SyncStatus>;

const SyncCounts = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  conflicts: z.number().int(),
  remoteDeleted: z.number().int(),
});

export const SyncPassReport = z.object({
  /** Every part succeeded and nothing is left waiting for a retry. */
  ok: z.boolean(),
  full: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  pull: z.object({ memories: SyncCounts, conversations: SyncCounts, actionItems: SyncCounts }).nullable(),
  push: z
    .object({
      created: z.number().int(),
      updated: z.number().int(),
      deleted: z.number().int(),
      unchanged: z.number().int(),
      adopted: z.number().int(),
      retried: z.number().int(),
      dead: z.number().int(),
      paused: z.string().nullable(),
    })
    .nullable(),
  errors: z.array(z.object({ part: z.string(), code: z.string(), message: z.string() })),
});
export type SyncPassReport = z.infer<typeof SyncPassReport>;

export const SyncDeadLetter = z.object({
  id: z.number().int(),
  kind: z.string(),
  entity: z.string(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  updatedAt: z.string(),
});
export type SyncDeadLetter = z.infer<typeof SyncDeadLetter>;

export const SyncConflict = z.object({
  id: z.number().int(),
  memoryId: Id,
  detectedAt: z.string(),
  mine: z.object({ content: z.string(), category: z.string(), visibility: z.string(), tags: z.array(z.string()) }),
  theirs: z.object({ content: z.string(), category: z.string(), visibility: z.string(), tags: z.array(z.string()) }),
});
export type SyncConflict = z.infer<typeof SyncConflict>;

// Search (src/main/search). Highlights are [start, end) offsets in UTF-16 code units of the snippet
// text, so the UI can mark them without parsing markup.
export const SearchKind = z.enum(['memory', 'conversation', 'segment']);
export type SearchKind = z.infer<typeof SearchKind>;
export const SearchMode = z.enum(['keyword', 'semantic', 'hybrid']);
export type SearchMode = z.infer<typeof SearchMode>;

export const SearchFilters = z.object({
  /** Inclusive ISO timestamps (a date alone means its whole day for `to`). */
  from: z.string().max(40).optional(),
  to: z.string().max(40).optional(),
  kinds: z.array(SearchKind).max(3).optional(),
  /** A memory's category or a conversation's (segments use their conversation's). */
  categories: z.array(z.string().min(1).max(64)).max(32).optional(),
  /** Memories carrying every one of these tags; conversations and segments have no tags. */
  tags: z.array(z.string().trim().min(1).max(64)).max(32).optional(),
  /** A conversation's source device/app (segments: their conversation's); a memory's origin. */
  sources: z.array(z.string().min(1).max(64)).max(32).optional(),
  /** Only starred conversations and their segments (memories cannot be starred). */
  starred: z.boolean().optional(),
  includeTrash: z.boolean().default(false),
});
export type SearchFilters = z.infer<typeof SearchFilters>;

export const SearchHit = z.object({
  kind: SearchKind,
  /** Memory or conversation id; for a segment, its conversation id and index as `<conversationId>#<idx>`. */
  id: z.string(),
  conversationId: z.string().nullable(),
  /** Where a segment starts and ends in its conversation, in seconds. */
  startS: z.number().nullable(),
  endS: z.number().nullable(),
  /** The conversation's title for conversations and segments. */
  title: z.string().nullable(),
  at: z.string(),
  snippet: z.object({ text: z.string(), highlights: z.array(z.tuple([z.number().int(), z.number().int()])) }),
  score: z.number(),
  explain: z.object({
    keyword: z.object({ rank: z.number().int(), bm25: z.number() }).nullable(),
    vector: z.object({ rank: z.number().int(), distance: z.number() }).nullable(),
    fused: z.number().nullable(),
    /** Names of the filters that applied to this query. */
    filters: z.array(z.string()),
    /** A very common query ranked only its newest matches (see src/main/search/keyword.ts). */
    capped: z.boolean(),
  }),
});
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchResponse = z.object({
  mode: SearchMode,
  /** The mode that actually ran: semantic and hybrid fall back to keyword without embeddings. */
  modeUsed: SearchMode,
  /** Shown to the user when the search ran differently than asked, e.g. without embeddings. */
  notice: z.string().nullable(),
  /** The FTS5 expression the query was parsed into ('' when nothing searchable was typed). */
  match: z.string(),
  /** The embedding model whose vectors answered (`name:model@dims`), or null for keyword only. */
  model: z.string().nullable(),
  items: z.array(SearchHit),
});
export type SearchResponse = z.infer<typeof SearchResponse>;

/** The background embedding relay of a profile (src/main/search/relay.ts), for the debug page. */
export const EmbeddingStatus = z.object({
  /** The provider the settings choose, or null (none, or Gemini without a key). */
  provider: z.enum(['gemini', 'ollama']).nullable(),
  /** The model key new vectors are made with (`name:model@dims`). */
  model: z.string().nullable(),
  /** The relay runs in the background for this profile (serve, the app). */
  scheduled: z.boolean(),
  /** A pass is in progress. */
  running: z.boolean(),
  breaker: z.enum(['closed', 'open', 'half-open', 'isolated']),
  /** Embed jobs not done yet (pending or leased), and jobs given up on after their last attempt. */
  backlog: z.number().int(),
  deadLetters: z.number().int(),
  /** When the next job becomes due, or when an open breaker lets its probe through. */
  nextAttemptAt: z.string().nullable(),
  /** Sent to the provider today (UTC), and the daily character budget when one is set. */
  today: z.object({ calls: z.number().int(), characters: z.number().int() }),
  budget: z.object({ dailyCharacters: z.number().int(), remaining: z.number().int() }).nullable(),
  /** Why the relay is not sending right now, if it is not. */
  paused: z.enum(['budget', 'breaker', 'rate-limited', 'credentials', 'no-provider']).nullable(),
  progress: z.object({
    /** Items embedded since the relay started for this profile. */
    embedded: z.number().int(),
    /** Vectors stored for the current model. */
    vectors: z.number().int(),
    /** A sweep for items without a current vector is under way. */
    sweeping: z.boolean(),
    lastSweepAt: z.string().nullable(),
    lastRunAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
  }),
  lastError: z.string().nullable(),
});
export type EmbeddingStatus = z.infer<typeof EmbeddingStatus>;
