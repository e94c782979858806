// A local Ollama model through POST /api/embed ({model, input: [...]} -> {embeddings: [[...]]}).
// Ollama has no task types; its model decides the dimension, which must match the vault's.
// ANGEL_MEMORY_OLLAMA_URL overrides the base URL (default http://127.0.0.1:11434).
import { z } from 'zod';
import { AppError } from '../../errors';
import { httpError, normalize, validateVectors, type EmbeddingProvider } from './port';

export const OLLAMA_URL = 'http://127.0.0.1:11434';
export const OLLAMA_MODEL = 'nomic-embed-text';

const Response = z.object({ embeddings: z.array(z.array(z.number())) });

export interface OllamaOptions {
  baseUrl?: string;
  model?: string;
  dims: number;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function createOllamaProvider(options: OllamaOptions): EmbeddingProvider {
  const model = options.model ?? OLLAMA_MODEL;
  const url = new URL('/api/embed', options.baseUrl ?? OLLAMA_URL);
  const doFetch = options.fetch ?? fetch;
  return {
    name: 'ollama',
    model,
    dims: options.dims,
    async embed(texts) {
      if (texts.length === 0) return [];
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model, input: texts }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
        });
      } catch (err) {
        throw new AppError('UNAVAILABLE', `Ollama could not be reached: ${(err as Error).message}`);
      }
      const text = await res.text().catch(() => '');
      if (!res.ok) throw httpError('Ollama', res.status, text.slice(0, 200));
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new AppError('UNAVAILABLE', 'Ollama answered with a body that is not JSON');
      }
      const parsed = Response.safeParse(body);
      if (!parsed.success) throw new AppError('VALIDATION', 'Ollama answered without embeddings');
      return validateVectors(parsed.data.embeddings, texts.length, options.dims).map(normalize);
    },
  };
}
