// Gemini embeddings through @google/genai: gemini-embedding-001 cut to 768 dimensions
// (outputDimensionality), RETRIEVAL_DOCUMENT for stored texts and RETRIEVAL_QUERY for searches, one
// batchEmbedContents call per batch. The SDK's own retries are off: the embedding queue owns retries
// and the circuit breaker, so a failure is reported once and quickly. The base URL is overridable
// (ANGEL_MEMORY_GEMINI_API_URL) so tests point it at a loopback fake.
import { ApiError, GoogleGenAI } from '@google/genai';
import { AppError } from '../../errors';
import { httpError, normalize, validateVectors, type EmbeddingProvider } from './port';

export const GEMINI_MODEL = 'gemini-embedding-001';
export const GEMINI_BATCH = 100;

export interface GeminiOptions {
  apiKey: string;
  baseUrl?: string;
  model?: string;
  dims: number;
  timeoutMs?: number;
}

export function createGeminiProvider(options: GeminiOptions): EmbeddingProvider {
  const model = options.model ?? GEMINI_MODEL;
  const ai = new GoogleGenAI({
    apiKey: options.apiKey,
    httpOptions: {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      timeout: options.timeoutMs ?? 30_000,
      retryOptions: { attempts: 1 },
    },
  });
  return {
    name: 'gemini',
    model,
    dims: options.dims,
    async embed(texts, task) {
      if (texts.length === 0) return [];
      let response;
      try {
        response = await ai.models.embedContent({
          model,
          contents: [...texts],
          config: {
            taskType: task === 'query' ? 'RETRIEVAL_QUERY' : 'RETRIEVAL_DOCUMENT',
            outputDimensionality: options.dims,
          },
        });
      } catch (err) {
        if (err instanceof ApiError) throw httpError('Gemini', err.status, err.message.slice(0, 200));
        throw new AppError('UNAVAILABLE', `Gemini could not be reached: ${(err as Error).message}`);
      }
      const raw = (response.embeddings ?? []).map((e) => e.values ?? []);
      // Below 3072 dimensions Gemini's vectors are not unit length; cosine needs them to be.
      return validateVectors(raw, texts.length, options.dims).map(normalize);
    },
  };
}
