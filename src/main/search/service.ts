// The search service the core wires: answers `search.query` for a profile with the provider its
// settings choose (settings.ts), and owns the background embedding relay (relay.ts) that the hosts
// start and stop with a profile's unlock and lock, that `angel-memory embed` drains once, and whose
// state `embedding.status` reports. Base URLs come from the host's environment through configure(),
// as for sync: ANGEL_MEMORY_GEMINI_API_URL and ANGEL_MEMORY_OLLAMA_URL point tests at loopback fakes.
import type { SearchResponse } from '../../shared/models';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { AppError } from '../errors';
import type { Logger } from '../logging';
import { pendingCount, redacts } from './embed';
import { searchWith, type SearchArgs } from './index';
import { createRanker, type Ranker, type RankerState } from './ranker';
import { modelKey, type EmbeddingProvider } from './providers/port';
import { createEmbeddingRelay, type DrainReport, type RelayPorts } from './relay';
import { redact } from './providers/redact';
import { embeddingConfig, providerFor, type EmbeddingConfig, type Env } from './settings';
import { addUsage, budgetLeft, usageToday } from './usage';

export { GEMINI_URL_ENV, OLLAMA_URL_ENV } from './settings';

export interface SearchServiceDeps {
  db: (profileId: string) => Db;
  now: () => Date;
  logger: Logger;
  /** Tunables of the embedding relay (tests, benchmarks). */
  relay?: Partial<RelayPorts>;
  /**
   * The vault file and raw key of an unlocked profile, for the search worker's own connection
   * (ranker.ts). Without it every query is ranked on this thread.
   */
  connection?: (profileId: string) => { dbPath: string; dbKey: Buffer };
}

/** How long the per-model vector counts that pick the serving model are trusted without a write. */
const COUNTS_TTL_MS = 60_000;

export function createSearchService(deps: SearchServiceDeps) {
  let env: Env = {};
  const counts = new WeakMap<Db, { at: number; byModel: Map<string, number> }>();
  /** Whether queries get a search worker (off for one-shot CLI commands: see useWorker). */
  let workerOn = true;
  /** Each unlocked profile's search worker, with the connection it was started for. */
  const rankers = new Map<string, { db: Db; ranker: Ranker }>();

  /** The profile's search worker: started on its first query (which is ranked here meanwhile) and
   * again after a re-unlock; one that stopped stays stopped for the session (ranker.ts). */
  function rankerFor(profileId: string, db: Db): Ranker | null {
    if (!deps.connection || !workerOn) return null;
    const running = rankers.get(profileId);
    if (running?.db === db) return running.ranker;
    if (running) void running.ranker.close();
    const { dbPath, dbKey } = deps.connection(profileId);
    const ranker = createRanker(dbPath, dbKey, {
      onStopped: (why) => {
        if (why !== 'closed') deps.logger.warn({ why }, 'search worker stopped; queries are ranked on the main thread');
      },
    });
    rankers.set(profileId, { db, ranker });
    return ranker;
  }

  async function haltWorkers(): Promise<void> {
    const all = [...rankers.values()];
    rankers.clear();
    await Promise.all(all.map((r) => r.ranker.close()));
  }

  const relay = createEmbeddingRelay({
    session: (profileId) => ({ db: deps.db(profileId) }),
    config: (db) => embeddingConfig(db, env),
    now: deps.now,
    logger: deps.logger,
    onStored: (profileId) => counts.delete(deps.db(profileId)),
    ports: deps.relay,
  });

  /** Vectors per model, from a loose index scan over the distinct models and a count of each. */
  function vectorCounts(db: Db): Map<string, number> {
    const cached = counts.get(db);
    if (cached && deps.now().getTime() - cached.at < COUNTS_TTL_MS) return cached.byModel;
    const rows = stmt(
      db,
      `WITH RECURSIVE m (model) AS (
           SELECT min(model) FROM embeddings
           UNION ALL SELECT (SELECT min(model) FROM embeddings WHERE model > m.model) FROM m WHERE m.model IS NOT NULL)
         SELECT model, (SELECT count(*) FROM embeddings e WHERE e.model = m.model) AS n FROM m WHERE model IS NOT NULL`,
    ).all() as { model: string; n: number }[];
    const byModel = new Map(rows.map((r) => [r.model, r.n]));
    counts.set(db, { at: deps.now().getTime(), byModel });
    return byModel;
  }

  /**
   * After a model change the new vectors fill in over time; until the new model covers at least as
   * many items as an earlier model of the same provider, queries are embedded with and answered by
   * the earlier one, so search keeps its quality during the re-embed.
   */
  function servingProvider(db: Db, current: EmbeddingProvider): EmbeddingProvider {
    const byModel = vectorCounts(db);
    const prefix = `${current.name}:`;
    const suffix = `@${current.dims}`;
    let best = { key: modelKey(current), n: byModel.get(modelKey(current)) ?? 0 };
    for (const [key, n] of byModel) {
      if (n > best.n && key.startsWith(prefix) && key.endsWith(suffix)) best = { key, n };
    }
    if (best.key === modelKey(current)) return current;
    return providerFor(db, env, best.key.slice(prefix.length, -suffix.length)) ?? current;
  }

  /**
   * The provider as a search query reaches it: redacted like stored text, metered like it, and
   * refused without sending anything once today's budget is spent (search then answers by keyword).
   */
  function forQueries(db: Db, config: EmbeddingConfig, p: EmbeddingProvider): EmbeddingProvider {
    return {
      name: p.name,
      model: p.model,
      dims: p.dims,
      async embed(texts, task) {
        const sent = redacts(p, config.redact) ? texts.map((t) => redact(t, config.neverSend)) : [...texts];
        const characters = sent.reduce((n, t) => n + t.length, 0);
        if (characters > budgetLeft(db, p.name, deps.now(), config.dailyCharacters)) {
          throw new AppError('RATE_LIMITED', 'the daily embedding budget (embedding.dailyCharacters) is spent');
        }
        const vectors = await p.embed(sent, task);
        if (db.open) db.transaction(() => addUsage(db, p.name, deps.now(), { calls: 1, characters }))();
        return vectors;
      },
    };
  }

  return {
    /** Takes the host's environment (base URL overrides). */
    configure(options: { env: Env }): void {
      env = { ...options.env };
    },

    query(profileId: string, args: SearchArgs): Promise<SearchResponse> {
      const db = deps.db(profileId);
      const ranker = rankerFor(profileId, db);
      const config = embeddingConfig(db, env);
      if (!config) return searchWith(db, null, args, ranker);
      return searchWith(db, forQueries(db, config, servingProvider(db, config.provider)), args, ranker);
    },

    /**
     * Whether queries start and use a search worker (on by default). A one-shot CLI command answers
     * one query, which a worker starting alongside would never serve: the CLI host turns it off and
     * `serve` on again.
     */
    useWorker(on: boolean): void {
      workerOn = on;
      if (!on) void haltWorkers();
    },

    /** The profile's search worker: none before its first query and after a lock. */
    workerState(profileId: string): RankerState | 'none' {
      return rankers.get(profileId)?.ranker.state ?? 'none';
    },

    /** Stops the profile's search worker (lock, delete); the next query after an unlock starts one. */
    async forget(profileId: string): Promise<void> {
      const running = rankers.get(profileId);
      rankers.delete(profileId);
      await running?.ranker.close();
    },

    /** Stops every search worker (the host is closing). */
    halt: haltWorkers,

    /** The background embedding relay: start/stop/forget/halt per profile, kick, status. */
    relay,

    /**
     * The provider in use, what is left to embed and today's usage. `pending` counts every live item
     * without a current vector (a full scan: for the CLI, not for a page that refreshes).
     */
    status(profileId: string) {
      const db = deps.db(profileId);
      const p = providerFor(db, env);
      return {
        provider: p?.name ?? null,
        model: p ? modelKey(p) : null,
        pending: p ? pendingCount(db, modelKey(p)) : 0,
        today: p ? usageToday(db, p.name, deps.now()) : { calls: 0, characters: 0 },
      };
    },

    /**
     * Drains the embedding queue once (`angel-memory embed`): a fresh sweep queues every item without
     * a current vector, then batches run until the queue is empty, `maxItems` are embedded, the
     * budget is spent or the provider fails.
     */
    async embed(
      profileId: string,
      options: { batchSize?: number; maxItems?: number; onProgress?: (embedded: number) => void } = {},
    ): Promise<DrainReport> {
      if (!providerFor(deps.db(profileId), env)) {
        throw new AppError('BAD_INPUT', 'no embedding provider: set embedding.provider (and gemini.apiKey for Gemini)');
      }
      return relay.drain(profileId, { ...options, fresh: true });
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
