// The one port every embedding provider implements, and the checks every vector passes before it is
// stored or compared: the dimension the vault expects and finite values only. A provider that answers
// with the wrong count or shape is refused as a whole batch, never partly stored.
import { AppError } from '../../errors';

/** Documents are embedded for storage, queries for lookup; providers that distinguish them (Gemini) do. */
export type EmbedTask = 'document' | 'query';

export interface EmbeddingProvider {
  /** `gemini`, `ollama` or `hashed`: recorded with each vector together with the model. */
  readonly name: string;
  readonly model: string;
  readonly dims: number;
  /** Embeds texts in order; rejects with AppError UNAVAILABLE / RATE_LIMITED (retryable) or VALIDATION. */
  embed(texts: readonly string[], task: EmbedTask): Promise<Float32Array[]>;
}

/** `<name>:<model>@<dims>`: what the embeddings table records as the model of a vector. */
export const modelKey = (p: Pick<EmbeddingProvider, 'name' | 'model' | 'dims'>): string =>
  `${p.name}:${p.model}@${p.dims}`;

export function validateVectors(raw: readonly (readonly number[])[], count: number, dims: number): Float32Array[] {
  if (raw.length !== count) {
    throw new AppError('VALIDATION', `the provider returned ${raw.length} vectors for ${count} texts`);
  }
  return raw.map((v, i) => {
    if (v.length !== dims) {
      throw new AppError('VALIDATION', `vector ${i} has ${v.length} dimensions, expected ${dims}`);
    }
    for (const x of v) {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new AppError('VALIDATION', `vector ${i} contains a value that is not a finite number`);
      }
    }
    return Float32Array.from(v);
  });
}

/** Scales to unit length so cosine similarity is a dot product; a zero vector stays zero. */
export function normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm === 0) return v;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/** Maps an HTTP status from a provider to the error the embedding queue retries or gives up on. */
export function httpError(provider: string, status: number, detail: string): AppError {
  if (status === 429) return new AppError('RATE_LIMITED', `${provider} rate limit: ${detail}`);
  if (status === 401 || status === 403) return new AppError('UNAUTHORIZED', `${provider} refused the key: ${detail}`);
  if (status >= 500) return new AppError('UNAVAILABLE', `${provider} failed (${status}): ${detail}`);
  return new AppError('VALIDATION', `${provider} rejected the request (${status}): ${detail}`);
}
