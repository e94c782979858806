// The search service the core wires: answers `search.query` for a profile with the provider its
// settings choose (embedding.provider = gemini | ollama | none), and runs embedding passes on demand
// (`angel-memory embed`). Base URLs come from the host's environment through configure(), as for
// sync: ANGEL_MEMORY_GEMINI_API_URL and ANGEL_MEMORY_OLLAMA_URL point tests at loopback fakes.
import type { SearchResponse } from '../../shared/models';
import { EMBEDDING_DIMS } from '../db/migrations/0010-initial';
import type { Db } from '../db/open';
import { readSetting } from '../db/repos/settings';
import { AppError } from '../errors';
import { embedPending, pendingCount, type EmbedReport } from './embed';
import { searchWith, type SearchArgs } from './index';
import { createGeminiProvider } from './providers/gemini';
import { createOllamaProvider, OLLAMA_MODEL } from './providers/ollama';
import { modelKey, type EmbeddingProvider } from './providers/port';
import { usageToday } from './usage';
import { vectorCounts } from './vector-index';

export const GEMINI_URL_ENV = 'ANGEL_MEMORY_GEMINI_API_URL';
export const OLLAMA_URL_ENV = 'ANGEL_MEMORY_OLLAMA_URL';

export interface SearchServiceDeps {
  db: (profileId: string) => Db;
  now: () => Date;
}

export function createSearchService(deps: SearchServiceDeps) {
  let env: Record<string, string | undefined> = {};

  /** The provider the settings choose, for `model` when given (an earlier model of the same kind). */
  function provider(db: Db, model?: string): EmbeddingProvider | null {
    const choice = readSetting(db, 'embedding.provider');
    if (choice === 'gemini') {
      const apiKey = readSetting(db, 'gemini.apiKey');
      if (typeof apiKey !== 'string') return null;
      const baseUrl = env[GEMINI_URL_ENV] || undefined;
      return createGeminiProvider({ apiKey, baseUrl, model, dims: EMBEDDING_DIMS });
    }
    if (choice === 'ollama') {
      const configured = readSetting(db, 'ollama.model');
      return createOllamaProvider({
        baseUrl: env[OLLAMA_URL_ENV] || undefined,
        model: model ?? (typeof configured === 'string' ? configured : OLLAMA_MODEL),
        dims: EMBEDDING_DIMS,
      });
    }
    return null;
  }

  /**
   * After a model change the new vectors fill in over time; until the new model covers at least as
   * many items as an earlier model of the same provider, queries are embedded with and answered by
   * the earlier one, so search keeps its quality during the re-embed.
   */
  function servingProvider(db: Db, current: EmbeddingProvider): EmbeddingProvider {
    const counts = vectorCounts(db);
    const prefix = `${current.name}:`;
    const suffix = `@${current.dims}`;
    let best = { key: modelKey(current), n: counts.get(modelKey(current)) ?? 0 };
    for (const [key, n] of counts) {
      if (n > best.n && key.startsWith(prefix) && key.endsWith(suffix)) best = { key, n };
    }
    if (best.key === modelKey(current)) return current;
    return provider(db, best.key.slice(prefix.length, -suffix.length)) ?? current;
  }

  /** The never-send list: comma- or newline-separated words and phrases. */
  function neverSend(db: Db): string[] {
    const value = readSetting(db, 'embedding.neverSend');
    return typeof value === 'string'
      ? value
          .split(/[,\n]/)
          .map((w) => w.trim())
          .filter(Boolean)
      : [];
  }

  return {
    /** Takes the host's environment (base URL overrides). */
    configure(options: { env: Record<string, string | undefined> }): void {
      env = { ...options.env };
    },

    query(profileId: string, args: SearchArgs): Promise<SearchResponse> {
      const db = deps.db(profileId);
      const current = provider(db);
      return searchWith(db, current && servingProvider(db, current), args);
    },

    /** The provider in use, what is left to embed and today's usage (calls, characters). */
    status(profileId: string) {
      const db = deps.db(profileId);
      const p = provider(db);
      return {
        provider: p?.name ?? null,
        model: p ? modelKey(p) : null,
        pending: p ? pendingCount(db, modelKey(p)) : 0,
        today: p ? usageToday(db, p.name, deps.now()) : { calls: 0, characters: 0 },
      };
    },

    /** One embedding pass: everything pending, or at most `maxItems`. */
    async embed(
      profileId: string,
      options: { batchSize?: number; maxItems?: number; onProgress?: (embedded: number) => void } = {},
    ): Promise<EmbedReport> {
      const db = deps.db(profileId);
      const p = provider(db);
      if (!p) {
        throw new AppError('BAD_INPUT', 'no embedding provider: set embedding.provider (and gemini.apiKey for Gemini)');
      }
      const redact = readSetting(db, 'embedding.redact');
      const budget = readSetting(db, 'embedding.dailyCharacters');
      return embedPending(db, p, {
        now: deps.now,
        batchSize: options.batchSize,
        maxItems: options.maxItems,
        // On by default for Gemini; a local Ollama model gets the text unless the user asks otherwise.
        redact: typeof redact === 'boolean' ? redact : undefined,
        neverSend: neverSend(db),
        dailyCharacters: typeof budget === 'number' ? budget : undefined,
        onProgress: (pr) => options.onProgress?.(pr.embedded),
      });
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
