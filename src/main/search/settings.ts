// What a profile's settings say about embedding: which provider (embedding.provider = gemini | ollama
// | none, with gemini.apiKey and ollama.model), whether to redact, the never-send list and the daily
// character budget. Base URLs come from the host's environment (ANGEL_MEMORY_GEMINI_API_URL,
// ANGEL_MEMORY_OLLAMA_URL) so tests point them at loopback fakes. Read on every use, so a changed
// setting takes effect on the next batch or query without a restart.
import { EMBEDDING_DIMS } from '../db/migrations/0010-initial';
import type { Db } from '../db/open';
import { readSetting } from '../db/repos/settings';
import { createGeminiProvider } from './providers/gemini';
import { createOllamaProvider, OLLAMA_MODEL } from './providers/ollama';
import type { EmbeddingProvider } from './providers/port';

export const GEMINI_URL_ENV = 'ANGEL_MEMORY_GEMINI_API_URL';
export const OLLAMA_URL_ENV = 'ANGEL_MEMORY_OLLAMA_URL';

export type Env = Record<string, string | undefined>;

/** The provider the settings choose, for `model` when given (an earlier model of the same kind). */
export function providerFor(db: Db, env: Env, model?: string): EmbeddingProvider | null {
  const choice = readSetting(db, 'embedding.provider');
  if (choice === 'gemini') {
    const apiKey = readSetting(db, 'gemini.apiKey');
    if (typeof apiKey !== 'string') return null;
    return createGeminiProvider({ apiKey, baseUrl: env[GEMINI_URL_ENV] || undefined, model, dims: EMBEDDING_DIMS });
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

/** The never-send list: comma- or newline-separated words and phrases. */
export function neverSendList(db: Db): string[] {
  const value = readSetting(db, 'embedding.neverSend');
  return typeof value === 'string'
    ? value
        .split(/[,\n]/)
        .map((w) => w.trim())
        .filter(Boolean)
    : [];
}

export interface EmbeddingConfig {
  provider: EmbeddingProvider;
  /** Unset: on for Gemini, off for a local Ollama model (embed.ts decides). */
  redact: boolean | undefined;
  neverSend: string[];
  /** Characters per UTC day; undefined means no limit. */
  dailyCharacters: number | undefined;
}

export function embeddingConfig(db: Db, env: Env): EmbeddingConfig | null {
  const provider = providerFor(db, env);
  if (!provider) return null;
  const redact = readSetting(db, 'embedding.redact');
  const budget = readSetting(db, 'embedding.dailyCharacters');
  return {
    provider,
    redact: typeof redact === 'boolean' ? redact : undefined,
    neverSend: neverSendList(db),
    dailyCharacters: typeof budget === 'number' ? budget : undefined,
  };
}
