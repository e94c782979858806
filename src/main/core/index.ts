// The composition root. createCore() wires every service from injected ports and exposes:
//   - `handlers`: one function per IPC contract channel (a missing one is a compile error);
//   - `invoke`: validate input with the contract, run the handler, return a Result; never throws;
//   - services the CLI uses directly (settings, doctor) and `on` for push events.
// The Electron app, the headless server and the CLI are thin hosts around it.
import { z } from 'zod';
import {
  contract,
  type Channel,
  type ChannelArgs,
  type ChannelOutput,
  type EventName,
  type EventPayload,
} from '../../shared/ipc/contract';
import type { Result } from '../../shared/result';
import * as actionItems from '../db/repos/action-items';
import * as conversations from '../db/repos/conversations';
import * as memories from '../db/repos/memories';
import { memoryProvenance, memorySync } from '../db/repos/memory-provenance';
import { readSetting, secretValues, writeSetting } from '../db/repos/settings';
import { stats } from '../db/repos/stats';
import { listDaySummaries } from '../db/repos/day-summaries';
import { listInbox } from '../db/repos/inbox';
import { createWebhookService } from '../webhook/service';
import type { WriteContext } from '../db/repos/audit';
import { AppError, toErrorInfo } from '../errors';
import { createVault, WEBHOOK_SECRET_KEY, type Session } from '../profiles/vault';
import { databasePath } from '../profiles/registry';
import { createArchiveService } from '../archive';
import {
  createSyncService,
  enqueueActionItemSync,
  enqueueMemorySync,
  listConflicts,
  resolveConflict,
  type SyncPorts,
} from '../sync';
import type { Memory } from '../../shared/models';
import { createSearchService } from '../search/service';
import { createCheckpoints } from '../db/checkpointer';
import { enqueueEmbedding } from '../search/jobs';
import type { RelayPorts } from '../search/relay';
import { segmentIndexer } from '../search/segment-index';
import { runDoctor } from './doctor';
import type { CoreDeps } from './ports';
import {
  DEFAULT_WEBHOOK_PORT,
  parseSettingValue,
  PROFILE_SETTINGS,
  PUBLIC_MIRRORS,
  settingDefinition,
} from './profile-settings';
import { emptyTrash } from '../profiles/trash';
import { logFilePath, tailLog } from '../logging/tail';
import type { Fetch } from '../sync/client';
import { createMetrics } from './metrics';
import { sendTestDelivery } from './webhook-test';

export type { CoreDeps } from './ports';

export type Handlers = {
  [C in Channel]: (args: ChannelArgs<C>, actor: string) => ChannelOutput<C> | Promise<ChannelOutput<C>>;
};

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

/** `sync` overrides the OMI sync service's ports and tunables (tests, benchmarks). */
export function createCore(deps: CoreDeps & { sync?: Partial<SyncPorts>; embedding?: Partial<RelayPorts> }) {
  const log = deps.logger.child({ module: 'core' });
  const vault = createVault({
    dataDir: deps.dataDir,
    keyStore: deps.keyStore,
    now: () => deps.clock.now(),
    logger: deps.logger,
    redactor: deps.redactor,
    scryptParams: deps.scryptParams,
  });
  const listeners = new Map<EventName, Set<Listener<EventName>>>();

  function emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const fn of listeners.get(event) ?? []) fn(payload);
  }

  const ctx = (actor: string): WriteContext => ({ now: () => deps.clock.now(), actor });
  const db = (profileId: string) => vault.session(profileId).db;

  const sync = createSyncService({
    session: (profileId) => vault.session(profileId),
    now: () => deps.clock.now(),
    logger: deps.logger,
    emit: (profileId, status) => emit('sync.status', { profileId, ...status }),
    ports: deps.sync,
  });

  /** A local memory change and its OMI push job commit in one transaction. */
  /** A local action item change and its OMI push job commit in one transaction, like memories. */
  function withItemSync(
    profileId: string,
    reason: string,
    change: (d: ReturnType<typeof db>) => { item: actionItems.ActionItemRow; pushPk: number },
  ) {
    const d = db(profileId);
    const { item } = d.transaction(() => {
      const changed = change(d);
      enqueueActionItemSync(d, changed.pushPk, reason, deps.clock.now().toISOString());
      return changed;
    })();
    sync.kick(profileId);
    return { id: item.pk, description: item.description, completed: item.completed, dueAt: item.dueAt };
  }

  function withSync(profileId: string, reason: string, change: (d: ReturnType<typeof db>) => Memory): Memory {
    const d = db(profileId);
    const memory = d.transaction(() => {
      const m = change(d);
      enqueueMemorySync(d, m.id, reason, deps.clock.now().toISOString());
      // Its vector is refreshed in the background; a trashed memory needs none.
      if (!m.deletedAt) enqueueEmbedding(d, [{ kind: 'memory', id: m.id }], deps.clock.now());
      return m;
    })();
    sync.kick(profileId);
    search.relay.kick(profileId);
    return memory;
  }

  function connection(profileId: string) {
    const session = vault.session(profileId);
    return { dbPath: databasePath(session.dir), dbKey: session.dbKey };
  }

  const search = createSearchService({
    db,
    now: () => deps.clock.now(),
    logger: deps.logger,
    relay: deps.embedding,
    connection,
  });
  const checkpoints = createCheckpoints({ connection, logger: deps.logger });

  const webhook = createWebhookService({
    dataDir: deps.dataDir,
    vault,
    now: () => deps.clock.now(),
    logger: deps.logger,
    redactor: deps.redactor,
    onIngested(profileId, outcome, kind) {
      sync.noteWebhook(profileId);
      // A delivery may have queued embedding work: a running relay picks it up now.
      search.relay.kick(profileId);
      emit('inbox.delivery', { profileId, id: outcome.inboxId, kind, status: outcome.status });
      if (outcome.newSegments.length > 0) {
        emit('transcript.live', {
          profileId,
          sessionId: outcome.sessionId,
          segments: outcome.newSegments.map((g, index) => ({
            index,
            text: g.text,
            speaker: g.speaker,
            speakerId: g.speakerId,
            isUser: g.isUser,
            personId: g.personId,
            start: g.start,
            end: g.end,
          })),
        });
      }
    },
  });

  // The debug page's charts: one sample per unlocked profile every 10 s, the last hour kept.
  const metrics = createMetrics({
    now: () => deps.clock.now(),
    open: (profileId) => (vault.isUnlocked(profileId) ? db(profileId) : undefined),
  });
  /** Outgoing HTTP for "send test delivery": the same injected port the OMI sync uses. */
  const fetchPort: Fetch = deps.sync?.fetch ?? ((input, init) => fetch(input, init));
  /** The port the host's webhook listener actually listens on (it may differ from the setting). */
  let listenerPort: number | null = null;

  const archive = createArchiveService({
    vault,
    now: () => deps.clock.now(),
    logger: deps.logger,
    onProgress: (p) => emit('archive.progress', p),
    // Hosts that lower the scrypt cost of vault passphrases (tests) lower the archive's age scrypt too.
    ageWorkFactor: deps.scryptParams ? Math.round(Math.log2(deps.scryptParams.N)) : undefined,
  });

  /**
   * Every unlock learns the profile's secrets for the log scrubber, ingests the locked spool and
   * starts indexing transcript segments that were written without being indexed yet.
   */
  async function afterUnlock(session: Session): Promise<void> {
    for (const s of secretValues(session.db)) deps.redactor.add(s);
    checkpoints.attach(session.profile.id, session.db);
    await webhook.drainSpool(session.profile.id);
    segmentIndexer(session.db).kick();
    // The charts' first point; taken in the background so an unlock does not wait for it.
    void metrics.track(session.profile.id, session.db);
    metrics.start();
  }

  /** Secret values are never returned, only whether they are set. */
  function getSetting(profileRef: string, key: string) {
    const def = settingDefinition(key);
    const value = readSetting(vault.session(profileRef).db, key);
    return { key, secret: def.secret, set: value !== undefined, value: def.secret ? null : (value ?? null) };
  }

  function setSetting(profileRef: string, key: string, text: string, actor: string): void {
    const def = settingDefinition(key);
    if (def.secret) deps.redactor.add(text);
    const value = parseSettingValue(key, text);
    writeSetting(vault.session(profileRef).db, key, value, def.secret, ctx(actor));
    // The webhook listener must route, check the uid and the Host of deliveries while the
    // profile is locked, so these few non-secret values are mirrored into profile.json.
    const mirror = PUBLIC_MIRRORS[key];
    if (mirror) {
      vault.updateProfile(profileRef, (p) => mirror(p, value));
      webhook.invalidate();
    }
    log.info({ key }, 'setting changed');
    // A new provider, model, key or budget: a running embedding relay looks again now.
    if (/^(embedding|gemini|ollama)\./.test(key)) search.relay.kick(vault.session(profileRef).profile.id);
  }

  /** The base URL OMI should call: http://127.0.0.1:<port>/omi/<secret> (kinds are appended). */
  function webhookUrl(profileRef: string): string {
    const d = vault.session(profileRef).db;
    const secret = readSetting(d, WEBHOOK_SECRET_KEY);
    if (typeof secret !== 'string') throw new AppError('INTERNAL', 'this profile has no webhook secret');
    const port = listenerPort ?? readSetting(d, 'webhook.port');
    return `http://127.0.0.1:${typeof port === 'number' ? port : DEFAULT_WEBHOOK_PORT}/omi/${secret}`;
  }

  async function doctor(profileRef: string) {
    const backend = deps.keyStore && (await deps.keyStore.isAvailable()) ? await deps.keyStore.backend() : null;
    return runDoctor(vault.session(profileRef), backend);
  }

  const handlers: Handlers = {
    'profiles.list': () => vault.list(),
    'profiles.create': async ({ name, protection }) => {
      const created = await vault.create(name, protection);
      checkpoints.attach(created.profile.id, vault.session(created.profile.id).db);
      emit('profiles.changed', { profileId: created.profile.id, locked: false });
      return created;
    },
    'profiles.unlock': async ({ profileId, credential }) => {
      const session = await vault.unlock(profileId, credential);
      await afterUnlock(session);
      deps.settings.set('lastProfileId', session.profile.id);
      emit('profiles.changed', { profileId: session.profile.id, locked: false });
      return vault.find(session.profile.id);
    },
    'profiles.lock': ({ profileId }) => {
      // Sync stops with the lock; a pass in flight fails on the closed vault and loses nothing.
      void sync.forget(profileId);
      void search.relay.forget(profileId);
      void search.forget(profileId);
      void checkpoints.forget(profileId);
      const summary = vault.lock(profileId);
      metrics.forget(summary.id);
      emit('profiles.changed', { profileId: summary.id, locked: true });
      return summary;
    },
    'profiles.setPassphrase': ({ profileId, credential, newPassphrase }) =>
      vault.setPassphrase(profileId, credential, newPassphrase),
    'profiles.delete': async ({ profileId, confirmName }) => {
      const { id, name } = vault.find(profileId);
      // A mistyped name changes nothing, not even the schedulers (vault.remove checks it again).
      if (confirmName.trim() !== name) {
        throw new AppError('BAD_INPUT', `type the profile's name, "${name}", to delete it`);
      }
      // Its sync scheduler stops first; the listener stops routing to it once the folder is gone.
      await sync.forget(id);
      await search.relay.forget(id);
      await search.forget(id);
      await checkpoints.forget(id);
      const deleted = vault.remove(id, confirmName);
      metrics.forget(id);
      webhook.invalidate();
      emit('profiles.changed', { profileId: deleted, locked: true });
      return { deleted };
    },
    'trash.empty': ({ profileId }, actor) => emptyTrash(db(profileId), ctx(actor)),
    'settings.list': ({ profileId }) => Object.keys(PROFILE_SETTINGS).map((key) => getSetting(profileId, key)),
    'settings.set': ({ profileId, key, value }, actor) => {
      setSetting(profileId, key, value, actor);
      return getSetting(profileId, key);
    },
    'webhook.url': ({ profileId }) => ({ url: webhookUrl(profileId) }),
    'webhook.rotate': ({ profileId }) => {
      vault.rotateWebhookSecret(profileId);
      webhook.invalidate();
      return { url: webhookUrl(profileId) };
    },
    'webhook.test': ({ profileId, via }) => {
      const localBase = webhookUrl(profileId);
      return sendTestDelivery({
        db: db(profileId),
        localBase,
        secret: new URL(localBase).pathname.split('/').at(-1)!,
        via,
        fetch: fetchPort,
        now: () => deps.clock.now(),
      });
    },
    'doctor.run': ({ profileId }) => doctor(profileId),
    'logs.tail': (q) => tailLog(logFilePath(deps.dataDir), q),

    'memories.list': ({ profileId, ...q }) => memories.listMemories(db(profileId), q),
    'memories.get': ({ profileId, id }) => {
      const d = db(profileId);
      return {
        ...memories.getMemory(d, id),
        versions: memories.listVersions(d, id),
        provenance: memoryProvenance(d, id),
        sync: memorySync(d, id),
      };
    },
    'memories.create': ({ profileId, ...m }, actor) =>
      withSync(profileId, 'create', (d) =>
        memories.createMemory(d, { ...m, origin: 'local', manuallyAdded: true }, ctx(actor)),
      ),
    'memories.update': ({ profileId, id, ...patch }, actor) =>
      withSync(profileId, 'update', (d) => memories.updateMemory(d, id, patch, ctx(actor))),
    'memories.delete': ({ profileId, id }, actor) =>
      withSync(profileId, 'delete', (d) => memories.deleteMemory(d, id, ctx(actor))),
    'memories.restore': ({ profileId, id }, actor) =>
      withSync(profileId, 'restore', (d) => memories.restoreMemory(d, id, ctx(actor))),

    'conversations.list': ({ profileId, ...q }) => conversations.listConversations(db(profileId), q),
    'conversations.get': ({ profileId, id }) => conversations.getConversation(db(profileId), id),
    'actionItems.update': ({ profileId, id, ...patch }, actor) =>
      withItemSync(profileId, 'update', (d) => actionItems.updateActionItem(d, id, patch, ctx(actor))),
    'actionItems.delete': ({ profileId, id }, actor) =>
      withItemSync(profileId, 'delete', (d) => actionItems.deleteActionItem(d, id, ctx(actor))),
    'browse.facets': ({ profileId }) => {
      const d = db(profileId);
      return { tags: memories.listTagNames(d), ...conversations.conversationFacets(d) };
    },

    'stats.get': ({ profileId }) => stats(db(profileId)),
    'metrics.series': async ({ profileId }) => {
      const session = vault.session(profileId);
      await metrics.track(session.profile.id, session.db);
      metrics.start();
      return metrics.series(session.profile.id);
    },

    'inbox.list': ({ profileId, ...q }) => listInbox(db(profileId), q),
    'inbox.get': ({ profileId, id }) => webhook.show(profileId, id),
    'inbox.replay': ({ profileId, id }) => ({ status: webhook.replay(profileId, id).status }),
    'daySummaries.list': ({ profileId, ...q }) => listDaySummaries(db(profileId), q),

    'sync.status': ({ profileId }) => sync.status(profileId),
    'sync.run': ({ profileId, full }) => sync.run(profileId, full),
    'sync.deadLetters': ({ profileId, ...q }) => sync.deadLetters(profileId, q),
    'sync.retry': ({ profileId, ids }) => sync.retry(profileId, ids),
    'sync.conflicts': ({ profileId }) => ({ items: listConflicts(db(profileId)) }),
    'sync.resolve': ({ profileId, ...args }, actor) => {
      const memory = resolveConflict(db(profileId), args, ctx(actor));
      sync.kick(profileId);
      return memory;
    },

    'archive.export': ({ profileId, ...input }) => archive.exportTo(profileId, input),
    'archive.import': ({ profileId, ...input }, actor) => archive.importFrom(profileId, input, ctx(actor)),
    'archive.inspect': (input) => archive.inspect(input),
    'backups.list': ({ profileId }) => archive.listBackups(profileId),
    'backups.create': ({ profileId }) => archive.backupNow(profileId),
    'backups.restore': async ({ profileId, name, into }, actor) => {
      const restored = await archive.restoreBackup(profileId, name, into, ctx(actor));
      if (into.kind === 'new') emit('profiles.changed', { profileId: restored.profileId, locked: false });
      return restored;
    },

    'search.query': ({ profileId, ...args }) => search.query(profileId, args),
    'embedding.status': ({ profileId }) => search.relay.status(profileId),
  };

  /** Validates, dispatches and wraps: the single entry point for every transport. Never throws. */
  async function invoke<C extends Channel>(
    channel: C,
    input: unknown,
    actor = 'user',
  ): Promise<Result<ChannelOutput<C>>> {
    if (!Object.hasOwn(contract, channel)) {
      return { ok: false, error: { code: 'BAD_INPUT', message: `unknown channel "${String(channel)}"` } };
    }
    const parsed = (contract[channel].input as unknown as z.ZodType<ChannelArgs<C>>).safeParse(input ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return {
        ok: false,
        error: { code: 'BAD_INPUT', message: `${channel}: ${where}${issue?.message ?? 'invalid input'}` },
      };
    }
    try {
      const handler = handlers[channel] as (
        args: ChannelArgs<C>,
        actor: string,
      ) => ChannelOutput<C> | Promise<ChannelOutput<C>>;
      return { ok: true, value: await handler(parsed.data, actor) };
    } catch (err) {
      const info = toErrorInfo(err);
      if (info.code === 'INTERNAL') log.error({ err, channel }, 'handler failed');
      return { ok: false, error: info };
    }
  }

  return {
    vault,
    webhook,
    archive,
    sync,
    search,
    handlers,
    invoke,
    on<E extends EventName>(event: E, fn: Listener<E>): () => void {
      const set = listeners.get(event) ?? new Set<Listener<EventName>>();
      listeners.set(event, set);
      const listener = fn as unknown as Listener<EventName>;
      set.add(listener);
      return () => set.delete(listener);
    },

    /** Unlocks for a host that already holds a credential (CLI, headless server). */
    async unlock(profileRef: string, credential: Parameters<typeof vault.unlock>[1]): Promise<Session> {
      const session = await vault.unlock(profileRef, credential);
      await afterUnlock(session);
      return session;
    },

    settings: {
      /** Secret values are never returned, only whether they are set. */
      get: (profileRef: string, key: string): { key: string; secret: boolean; set: boolean; value: unknown } =>
        getSetting(profileRef, key),
      set: (profileRef: string, key: string, text: string, actor: string): void =>
        setSetting(profileRef, key, text, actor),
    },

    /** The base URL OMI should call: http://127.0.0.1:<port>/omi/<secret> (kinds are appended). */
    webhookUrl,

    /** Hosts report the port their webhook listener listens on (null once it stops). */
    setListenerPort(port: number | null): void {
      listenerPort = port;
    },

    metrics,

    /** Removes a trashed memory for good. Not an IPC channel: hosts ask the user first. */
    purgeMemory(profileRef: string, id: string, actor: string): void {
      memories.purgeMemory(vault.session(profileRef).db, id, ctx(actor));
    },

    rotateWebhookSecret(profileRef: string): string {
      vault.rotateWebhookSecret(profileRef);
      webhook.invalidate();
      return this.webhookUrl(profileRef);
    },

    doctor,

    /**
     * WAL checkpoints on a worker thread for every unlocked profile (db/checkpointer.ts). Off by
     * default; the app and `serve` turn it on, one-shot CLI commands leave it off.
     */
    checkpointInBackground(on: boolean): void {
      const unlocked = vault
        .list()
        .filter((p) => !p.locked)
        .map((p) => ({ profileId: p.id, db: vault.session(p.id).db }));
      checkpoints.enable(on, unlocked);
    },

    checkpointState: (profileId: string) => checkpoints.state(profileId),

    close(): void {
      metrics.stop();
      sync.halt();
      search.relay.halt();
      void search.halt();
      void checkpoints.halt();
      vault.closeAll();
      listeners.clear();
    },
  };
}

export type Core = ReturnType<typeof createCore>;
