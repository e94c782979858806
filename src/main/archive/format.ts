// The `.angelmem` archive format, version 1.0 (docs/archive-format.md is the prose version). This
// module owns the names, limits and zod schemas: export writes these shapes, import parses every
// line through them, so a record the app cannot store is refused before anything is written.
import { z } from 'zod';
import { ArchiveCounts, ArchiveFilter, MemoryCategory, Visibility } from '../../shared/models';
import { AppError } from '../errors';
import type { ErrorCode } from '../../shared/result';

export const FORMAT_NAME = 'angelmem';
export const FORMAT_VERSION = '1.0';
export const FORMAT_MAJOR = 1;
/** Kept in step with package.json (a test checks it). */
export const APP_VERSION = '0.1.0';

export const MANIFEST = 'manifest.json';
export const ENTRY = {
  conversations: 'conversations.jsonl',
  memories: 'memories.jsonl',
  daySummaries: 'day-summaries.jsonl',
  embeddings: 'embeddings.jsonl',
} as const;
export type EntryKey = keyof typeof ENTRY;
export const ENTRY_ORDER: readonly EntryKey[] = ['conversations', 'memories', 'daySummaries', 'embeddings'];

/** The first bytes of every age file; an archive that starts with them is encrypted. */
export const AGE_MAGIC = 'age-encryption.org/v1\n';

export interface Limits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
  /** Uncompressed/compressed; only judged for entries larger than ratioFloorBytes. */
  maxRatio: number;
  ratioFloorBytes: number;
  maxLineBytes: number;
  maxManifestBytes: number;
}

// Generous for a real vault (a decade of daily conversations is a few GB of JSON at most), tight
// enough that a crafted archive cannot make the importer allocate without bound. Deflate cannot
// exceed ~1032:1, and real JSONL compresses 5-30:1, so 200:1 only stops bombs.
export const DEFAULT_LIMITS: Limits = {
  maxEntries: 16,
  maxEntryBytes: 8 * 1024 ** 3,
  maxTotalBytes: 16 * 1024 ** 3,
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
  maxLineBytes: 64 * 1024 * 1024,
  maxManifestBytes: 1024 * 1024,
};

/** Why an archive was refused; each maps to one ErrorCode across the IPC boundary. */
export const ARCHIVE_ERRORS = {
  NOT_AN_ARCHIVE: 'VALIDATION',
  TRUNCATED: 'VALIDATION',
  BAD_ZIP: 'VALIDATION',
  BAD_ENTRY_NAME: 'VALIDATION',
  TOO_MANY_ENTRIES: 'TOO_LARGE',
  ENTRY_TOO_LARGE: 'TOO_LARGE',
  ZIP_BOMB: 'TOO_LARGE',
  MISSING_MANIFEST: 'VALIDATION',
  BAD_MANIFEST: 'VALIDATION',
  FORMAT_FROM_FUTURE: 'DB_FROM_FUTURE',
  ENTRY_MISMATCH: 'VALIDATION',
  CHECKSUM_MISMATCH: 'VALIDATION',
  BAD_LINE: 'VALIDATION',
  DUPLICATE_RECORD: 'VALIDATION',
  WRONG_PASSPHRASE: 'WRONG_KEY',
  PASSPHRASE_REQUIRED: 'BAD_INPUT',
} as const satisfies Record<string, ErrorCode>;
export type ArchiveErrorKind = keyof typeof ARCHIVE_ERRORS;

/** An AppError that also names the archive problem; its message starts with the kind. */
export class ArchiveError extends AppError {
  constructor(
    readonly kind: ArchiveErrorKind,
    readonly detail: string,
  ) {
    super(ARCHIVE_ERRORS[kind], `archive refused (${kind}): ${detail}`);
  }
}

const text = z.string().max(16 * 1024 * 1024);
const nullableText = text.nullable();
const timestamp = z.string().min(1).max(64);
const origin = z.enum(['webhook', 'sync', 'import', 'local']);
const id = z.string().min(1).max(200);

export const EntryInfo = z.object({
  name: z.string().min(1).max(100),
  records: z.number().int().min(0),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EntryInfo = z.infer<typeof EntryInfo>;

export const ExportFilter = ArchiveFilter;
export type ExportFilter = ArchiveFilter;
export const Counts = ArchiveCounts;
export type Counts = ArchiveCounts;
export const emptyCounts = (): Counts => ({
  conversations: 0,
  segments: 0,
  actionItems: 0,
  events: 0,
  memories: 0,
  memoryVersions: 0,
  daySummaries: 0,
  embeddings: 0,
});

/** Only `format` and `formatVersion` are read before the version check; the rest after. */
export const ManifestHead = z.object({
  format: z.literal(FORMAT_NAME),
  formatVersion: z.string().regex(/^\d{1,4}\.\d{1,4}$/),
});

export const Manifest = ManifestHead.extend({
  appVersion: z.string().max(50),
  createdAt: timestamp,
  profile: z.object({ id: z.string().max(200), name: z.string().max(200) }),
  filter: ExportFilter.nullable(),
  counts: Counts,
  entries: z.array(EntryInfo).max(64),
});
export type Manifest = z.infer<typeof Manifest>;

export const SegmentRecord = z.object({
  idx: z.number().int().min(0),
  segmentId: nullableText,
  text,
  speaker: nullableText,
  speakerId: z.number().int().nullable(),
  isUser: z.boolean(),
  personId: nullableText,
  start: z.number(),
  end: z.number(),
});

export const ActionItemRecord = z.object({
  remoteId: nullableText,
  description: text,
  completed: z.boolean(),
  createdAt: timestamp.nullable(),
  updatedAt: timestamp.nullable(),
  dueAt: timestamp.nullable(),
  completedAt: timestamp.nullable(),
  origin: z.string().min(1).max(20),
  deletedAt: timestamp.nullable(),
});

export const EventRecord = z.object({
  title: text,
  description: text,
  start: timestamp.nullable(),
  durationMinutes: z.number().nullable(),
  created: z.boolean(),
});

export const ConversationRecord = z
  .object({
    id,
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    source: nullableText,
    language: nullableText,
    title: text,
    overview: text,
    emoji: nullableText,
    category: z.string().min(1).max(100),
    status: nullableText,
    discarded: z.boolean(),
    starred: z.boolean(),
    visibility: nullableText,
    /** JSON text as stored (geolocation object). */
    geolocation: nullableText,
    /** The original OMI payload, JSON text exactly as stored. */
    raw: nullableText,
    contentHash: z.string().min(1).max(200),
    origin,
    updatedAt: timestamp,
    deletedAt: timestamp.nullable(),
    segments: z.array(SegmentRecord).max(100_000),
    actionItems: z.array(ActionItemRecord).max(10_000),
    events: z.array(EventRecord).max(10_000),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<number>();
    for (const g of c.segments) {
      if (seen.has(g.idx))
        ctx.addIssue({ code: 'custom', message: `segment idx ${g.idx} repeats`, path: ['segments'] });
      seen.add(g.idx);
    }
  });
export type ConversationRecord = z.infer<typeof ConversationRecord>;

export const MemoryVersionRecord = z.object({
  version: z.number().int().min(1),
  content: text,
  category: MemoryCategory,
  visibility: Visibility,
  tags: z.array(z.string().max(200)).max(1000),
  changedBy: z.string().max(200),
  reason: z.string().max(200),
  changedAt: timestamp,
});

export const MemoryRecord = z
  .object({
    id,
    content: text,
    category: MemoryCategory,
    visibility: Visibility,
    conversationId: z.string().max(200).nullable(),
    segmentStart: z.number().int().nullable(),
    segmentEnd: z.number().int().nullable(),
    manuallyAdded: z.boolean(),
    reviewed: z.boolean(),
    edited: z.boolean(),
    origin,
    remoteId: z.string().min(1).max(200).nullable(),
    remoteHash: z.string().max(200).nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    deletedAt: timestamp.nullable(),
    tags: z.array(z.string().trim().min(1).max(200)).max(1000),
    versions: z.array(MemoryVersionRecord).max(100_000),
  })
  .superRefine((m, ctx) => {
    const seen = new Set<number>();
    for (const v of m.versions) {
      if (seen.has(v.version))
        ctx.addIssue({ code: 'custom', message: `version ${v.version} repeats`, path: ['versions'] });
      seen.add(v.version);
    }
  });
export type MemoryRecord = z.infer<typeof MemoryRecord>;

export const DaySummaryRecord = z.object({
  summary: text,
  uid: z.string().max(200).nullable(),
  createdAt: timestamp,
  receivedAt: timestamp,
});
export type DaySummaryRecord = z.infer<typeof DaySummaryRecord>;

/** A segment is named by its conversation and position, other items by their id. */
export const EmbeddingRecord = z
  .object({
    kind: z.enum(['memory', 'conversation', 'segment']),
    itemId: id,
    segmentIdx: z.number().int().min(0).nullable(),
    model: z.string().min(1).max(200),
    dims: z.number().int().min(1).max(8192),
    contentHash: z.string().min(1).max(200),
    createdAt: timestamp,
    /** Little-endian float32, base64. */
    vector: z.base64().max(8192 * 6),
  })
  .refine((e) => (e.kind === 'segment') === (e.segmentIdx !== null), 'segmentIdx is set exactly for segments')
  .refine((e) => Buffer.from(e.vector, 'base64').length === e.dims * 4, 'vector length does not match dims');
export type EmbeddingRecord = z.infer<typeof EmbeddingRecord>;

export const RECORD_SCHEMAS = {
  conversations: ConversationRecord,
  memories: MemoryRecord,
  daySummaries: DaySummaryRecord,
  embeddings: EmbeddingRecord,
} as const;

export interface StagedArchive {
  manifest: Manifest;
  conversations: ConversationRecord[];
  memories: MemoryRecord[];
  daySummaries: DaySummaryRecord[];
  embeddings: EmbeddingRecord[];
}

export { ImportReport, ImportStrategy as Strategy } from '../../shared/models';
