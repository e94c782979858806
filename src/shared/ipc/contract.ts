// The one list of what the UI may ask of the main process. Every host (Electron IPC, the headless
// HTTP bridge) registers handlers by looping over this object, the preload exposes only its keys and
// the renderer's client infers its types from it. Adding a channel means editing this object and
// following the compiler.
import { z } from 'zod';
import {
  ActionItem,
  ArchiveFilter,
  ArchivePreview,
  ArchiveProgress,
  BackupInfo,
  ExportResult,
  ImportReport,
  ImportStrategy,
  ConversationDetail,
  DaySummary,
  InboxEntry,
  Segment,
  ConversationSummary,
  Id,
  Memory,
  MemoryCategory,
  MetricsSample,
  MemoryOrigin,
  MemorySync,
  MemoryVersion,
  Page,
  ProfileSummary,
  SearchFilters,
  SearchMode,
  SearchResponse,
  EmbeddingStatus,
  Stats,
  SyncConflict,
  SyncDeadLetter,
  SyncPassReport,
  SyncStatus,
  Visibility,
  WebhookTestResult,
} from '../models';

const ProfileRef = z.object({ profileId: Id });
const Tags = z.array(z.string().trim().min(1).max(64)).max(64);
const Content = z.string().trim().min(1).max(10_000);
/** Inclusive ISO timestamps on a list's time (a memory's creation, a conversation's start). */
const ListRange = z.object({ from: z.iso.datetime().optional(), to: z.iso.datetime().optional() });

export const Credential = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('passphrase'), passphrase: z.string().min(1).max(1024) }),
  z.object({ kind: z.literal('keychain') }),
  z.object({ kind: z.literal('recovery'), recoveryKey: z.string().min(1).max(200) }),
]);
export type Credential = z.infer<typeof Credential>;

export const contract = {
  'profiles.list': { input: z.object({}), output: z.array(ProfileSummary) },
  'profiles.create': {
    input: z.object({
      name: z.string().trim().min(1).max(100),
      protection: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('passphrase'), passphrase: z.string().min(8).max(1024) }),
        z.object({ kind: z.literal('keychain') }),
      ]),
    }),
    // The recovery key is returned exactly once, at creation, so the user can write it down.
    output: z.object({ profile: ProfileSummary, recoveryKey: z.string() }),
  },
  'profiles.unlock': {
    input: ProfileRef.extend({ credential: Credential }),
    output: ProfileSummary,
  },
  'profiles.lock': { input: ProfileRef, output: ProfileSummary },
  // Sets a new passphrase after proving the caller can open the vault: with the current passphrase
  // (change) or the recovery key (recover a forgotten passphrase). The vault's key does not change.
  'profiles.setPassphrase': {
    input: ProfileRef.extend({ credential: Credential, newPassphrase: z.string().min(8).max(1024) }),
    output: ProfileSummary,
  },
  // Removes the profile's folder (database, spool, backups) for good; the name must be typed again.
  'profiles.delete': {
    input: ProfileRef.extend({ confirmName: z.string().min(1).max(100) }),
    output: z.object({ deleted: Id }),
  },
  // Purges every trashed memory and conversation (audited); hosts ask the user first.
  'trash.empty': {
    input: ProfileRef,
    output: z.object({ memories: z.number().int(), conversations: z.number().int() }),
  },
  // Per-profile settings (src/main/core/profile-settings.ts): secrets are write-only, reported as set or not.
  'settings.list': {
    input: ProfileRef,
    output: z.array(
      z.object({ key: z.string(), secret: z.boolean(), set: z.boolean(), value: z.unknown().nullable() }),
    ),
  },
  'settings.set': {
    input: ProfileRef.extend({ key: z.string().min(1).max(100), value: z.string().max(4000) }),
    output: z.object({ key: z.string(), secret: z.boolean(), set: z.boolean(), value: z.unknown().nullable() }),
  },
  // The base URL OMI calls; rotating the secret makes the old URL stop working at once.
  'webhook.url': { input: ProfileRef, output: z.object({ url: z.string() }) },
  'webhook.rotate': { input: ProfileRef, output: z.object({ url: z.string() }) },
  // Posts a labelled realtime-transcript delivery to the profile's own webhook URL, through the
  // running listener on loopback or through the user's tunnel host, and reports what came back.
  'webhook.test': {
    input: ProfileRef.extend({ via: z.enum(['local', 'tunnel']) }),
    output: WebhookTestResult,
  },
  // The newest lines of the app's log (already scrubbed of secrets), for the debug page's viewer.
  'logs.tail': {
    input: z.object({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).optional(),
      text: z.string().max(200).optional(),
      limit: z.number().int().min(1).max(1000).default(200),
    }),
    output: z.array(
      z.object({
        time: z.string(),
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']),
        module: z.string().nullable(),
        msg: z.string(),
        detail: z.string(),
      }),
    ),
  },
  'doctor.run': {
    input: ProfileRef,
    output: z.object({
      profileId: Id,
      healthy: z.boolean(),
      checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
    }),
  },

  'memories.list': {
    input: ProfileRef.extend({
      trash: z.boolean().default(false),
      tag: z.string().optional(),
      ...ListRange.shape,
      /** Memories carrying every one of these tags. */
      tags: z.array(z.string().trim().min(1).max(64)).max(32).optional(),
      categories: z.array(MemoryCategory).max(8).optional(),
      /** Where the memory came from (its origin). */
      sources: z
        .array(z.enum(['webhook', 'sync', 'import', 'local']))
        .max(8)
        .optional(),
      ...Page.shape,
    }),
    output: z.object({ items: z.array(Memory), total: z.number().int() }),
  },
  'memories.get': {
    input: ProfileRef.extend({ id: Id }),
    output: Memory.extend({ versions: z.array(MemoryVersion), provenance: MemoryOrigin, sync: MemorySync }),
  },
  'memories.create': {
    input: ProfileRef.extend({
      content: Content,
      category: MemoryCategory.default('manual'),
      visibility: Visibility.default('private'),
      tags: Tags.default([]),
    }),
    output: Memory,
  },
  'memories.update': {
    input: ProfileRef.extend({
      id: Id,
      content: Content.optional(),
      category: MemoryCategory.optional(),
      visibility: Visibility.optional(),
      tags: Tags.optional(),
    }),
    output: Memory,
  },
  'memories.delete': { input: ProfileRef.extend({ id: Id }), output: Memory },
  'memories.restore': { input: ProfileRef.extend({ id: Id }), output: Memory },

  'conversations.list': {
    input: ProfileRef.extend({
      trash: z.boolean().default(false),
      ...ListRange.shape,
      categories: z.array(z.string().min(1).max(64)).max(32).optional(),
      /** The device or app that recorded it (OMI's `source`). */
      sources: z.array(z.string().min(1).max(64)).max(32).optional(),
      starred: z.boolean().optional(),
      ...Page.shape,
    }),
    output: z.object({ items: z.array(ConversationSummary), total: z.number().int() }),
  },
  'conversations.get': { input: ProfileRef.extend({ id: Id }), output: ConversationDetail },
  // A conversation's action item (id from conversations.get): tick it off, reword it, or trash it. The
  // change is queued for OMI in the same transaction (src/main/sync/push-action-items.ts).
  'actionItems.update': {
    input: ProfileRef.extend({
      id: z.number().int().positive(),
      completed: z.boolean().optional(),
      description: z.string().trim().min(1).max(2_000).optional(),
    }),
    output: ActionItem,
  },
  'actionItems.delete': { input: ProfileRef.extend({ id: z.number().int().positive() }), output: ActionItem },
  /** The values the browse filters offer: tag names, conversation categories and sources in use. */
  'browse.facets': {
    input: ProfileRef,
    output: z.object({ tags: z.array(z.string()), categories: z.array(z.string()), sources: z.array(z.string()) }),
  },

  'stats.get': { input: ProfileRef, output: Stats },
  // The debug page's charts: ingest latency and queue depths, one sample per interval, oldest first.
  'metrics.series': {
    input: ProfileRef,
    output: z.object({ intervalMs: z.number().int(), samples: z.array(MetricsSample) }),
  },

  'inbox.list': {
    input: ProfileRef.extend({
      status: z.enum(['applied', 'duplicate', 'revision', 'failed']).optional(),
      kind: z.enum(['conversation', 'transcript', 'audio', 'day-summary']).optional(),
      ...Page.shape,
    }),
    output: z.object({ items: z.array(InboxEntry), total: z.number().int() }),
  },
  'inbox.get': {
    input: ProfileRef.extend({ id: z.number().int().positive() }),
    // The payload is pretty-printed with every known secret scrubbed.
    output: InboxEntry.extend({ payload: z.string().nullable() }),
  },
  'inbox.replay': {
    input: ProfileRef.extend({ id: z.number().int().positive() }),
    output: z.object({ status: z.enum(['applied', 'duplicate', 'revision']) }),
  },
  'daySummaries.list': {
    input: ProfileRef.extend({ ...Page.shape }),
    output: z.object({ items: z.array(DaySummary), total: z.number().int() }),
  },

  // OMI sync (DESIGN.md §6): status, a pass on demand, dead letters and conflicts.
  'sync.status': { input: ProfileRef, output: SyncStatus },
  'sync.run': {
    // full: read every page and diff ids for remote deletions (a scheduled pass does this every few hours).
    input: ProfileRef.extend({ full: z.boolean().default(true) }),
    output: SyncPassReport,
  },
  'sync.deadLetters': {
    input: ProfileRef.extend({ ...Page.shape }),
    output: z.object({ items: z.array(SyncDeadLetter), total: z.number().int() }),
  },
  'sync.retry': {
    input: ProfileRef.extend({ ids: z.array(z.number().int().positive()).max(1000).optional() }),
    output: z.object({ retried: z.number().int() }),
  },
  'sync.conflicts': { input: ProfileRef, output: z.object({ items: z.array(SyncConflict) }) },
  'sync.resolve': {
    input: ProfileRef.extend({
      memoryId: Id,
      resolution: z.enum(['mine', 'theirs', 'edit']),
      // Required for "edit": the text that replaces both versions.
      content: Content.optional(),
    }),
    output: Memory,
  },

  // Archives and backups (src/main/archive). Paths are the user's choice in a file dialog; an
  // archive passphrase travels only in these inputs and is never stored.
  'archive.export': {
    input: ProfileRef.extend({
      path: z.string().min(1).max(4096),
      format: z.enum(['angelmem', 'markdown']).default('angelmem'),
      passphrase: z.string().min(1).max(1024).optional(),
      filter: ArchiveFilter.optional(),
    }),
    output: ExportResult,
  },
  'archive.import': {
    input: ProfileRef.extend({
      path: z.string().min(1).max(4096),
      format: z.enum(['angelmem', 'omi-conversations', 'omi-memories']).default('angelmem'),
      strategy: ImportStrategy.default('skip'),
      passphrase: z.string().min(1).max(1024).optional(),
    }),
    output: ImportReport,
  },
  'archive.inspect': {
    input: z.object({ path: z.string().min(1).max(4096), passphrase: z.string().min(1).max(1024).optional() }),
    output: ArchivePreview,
  },
  'backups.list': { input: ProfileRef, output: z.array(BackupInfo) },
  'backups.create': { input: ProfileRef, output: BackupInfo },
  'backups.restore': {
    input: ProfileRef.extend({
      name: z.string().min(1).max(200),
      into: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('existing'), profileId: Id, strategy: ImportStrategy.default('skip') }),
        z.object({
          kind: z.literal('new'),
          name: z.string().trim().min(1).max(100),
          protection: z.discriminatedUnion('kind', [
            z.object({ kind: z.literal('passphrase'), passphrase: z.string().min(8).max(1024) }),
            z.object({ kind: z.literal('keychain') }),
          ]),
        }),
      ]),
    }),
    // A new profile's recovery key is returned exactly once, as with profiles.create.
    output: z.object({ profileId: Id, recoveryKey: z.string().nullable(), report: ImportReport }),
  },

  // Search (src/main/search): keyword, semantic and hybrid; `prefix` is for type-ahead.
  'search.query': {
    input: ProfileRef.extend({
      query: z.string().max(1000),
      mode: SearchMode.default('keyword'),
      filters: SearchFilters.default({ includeTrash: false }),
      prefix: z.boolean().default(false),
      limit: z.number().int().min(1).max(200).default(20),
      offset: z.number().int().min(0).max(10_000).default(0),
    }),
    output: SearchResponse,
  },
  // The background embedding relay: queue backlog, dead letters, breaker, usage vs budget, progress.
  'embedding.status': { input: ProfileRef, output: EmbeddingStatus },
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type ChannelInput<C extends Channel> = z.input<Contract[C]['input']>;
export type ChannelArgs<C extends Channel> = z.output<Contract[C]['input']>;
export type ChannelOutput<C extends Channel> = z.output<Contract[C]['output']>;

/** Push events from main to the UI. */
export const events = {
  'profiles.changed': z.object({ profileId: Id, locked: z.boolean() }),
  /** Realtime transcript segments not seen before, as they arrive. */
  'transcript.live': z.object({ profileId: Id, sessionId: z.string().nullable(), segments: z.array(Segment) }),
  'inbox.delivery': z.object({ profileId: Id, id: z.number().int(), kind: z.string(), status: z.string() }),
  /** After every sync pass and breaker change. */
  'sync.status': SyncStatus.extend({ profileId: Id }),
  /** Progress of a long archive operation (export, import, backup, restore). */
  'archive.progress': ArchiveProgress,
} as const;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const channelNames = Object.keys(contract) as Channel[];
export const eventNames = Object.keys(events) as EventName[];
