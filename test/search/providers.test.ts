// The embedding providers against loopback fakes over real HTTP: request shapes (task types,
// dimensions, batching, the key header), vector validation, error mapping for faults, and redaction.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/main/errors';
import { createGeminiProvider } from '../../src/main/search/providers/gemini';
import { hashedEmbedding } from '../../src/main/search/providers/hashed';
import { createOllamaProvider } from '../../src/main/search/providers/ollama';
import { modelKey, validateVectors } from '../../src/main/search/providers/port';
import { redact } from '../../src/main/search/providers/redact';
import type { FakeEmbeddingServer } from '../fakes/embedding-fake';
import { geminiRequestShapes, startFakeGemini } from '../fakes/gemini-server';
import { startFakeOllama } from '../fakes/ollama-server';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'ok';
}

describe('gemini provider', () => {
  let fake: FakeEmbeddingServer;
  beforeAll(async () => (fake = await startFakeGemini()));
  afterAll(() => fake.close());
  afterEach(() => void fake.requests.splice(0));
  const provider = () =>
    createGeminiProvider({ apiKey: 'test-key-123456', baseUrl: fake.url, dims: 768, timeoutMs: 2_000 });

  it('embeds a batch in one call with the document task type and 768 dimensions', async () => {
    const vectors = await provider().embed(['coffee with dana', 'tomatoes on the balcony'], 'document');
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toHaveLength(768);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.path).toMatch(/^\/v1(beta)?\/models\/gemini-embedding-001:batchEmbedContents$/);
    expect(geminiRequestShapes(fake)).toEqual([
      { taskType: 'RETRIEVAL_DOCUMENT', dims: 768, key: 'test-key-123456' },
      { taskType: 'RETRIEVAL_DOCUMENT', dims: 768, key: 'test-key-123456' },
    ]);
    expect(fake.texts()).toEqual(['coffee with dana', 'tomatoes on the balcony']);
    expect(modelKey(provider())).toBe('gemini:gemini-embedding-001@768');
  });

  it('uses the query task type for searches and returns unit vectors', async () => {
    const [q] = await provider().embed(['dana coffee'], 'query');
    expect(geminiRequestShapes(fake)[0]!.taskType).toBe('RETRIEVAL_QUERY');
    expect(dot(q!, q!)).toBeCloseTo(1, 5);
  });

  it('maps faults to retryable or final errors', async () => {
    fake.inject('http500', 'http429', 'wrongDims', 'nan', 'reset');
    expect(await code(provider().embed(['a'], 'document'))).toBe('UNAVAILABLE');
    expect(await code(provider().embed(['a'], 'document'))).toBe('RATE_LIMITED');
    expect(await code(provider().embed(['a'], 'document'))).toBe('VALIDATION');
    expect(await code(provider().embed(['a'], 'document'))).toBe('VALIDATION');
    expect(await code(provider().embed(['a'], 'document'))).toBe('UNAVAILABLE');
    fake.down = true;
    expect(await code(provider().embed(['a'], 'document'))).toBe('UNAVAILABLE');
    fake.down = false;
    expect(await code(provider().embed(['a'], 'document'))).toBe('ok');
  });

  it('gives up on a server that never answers', async () => {
    fake.inject('hang');
    const quick = createGeminiProvider({ apiKey: 'test-key-123456', baseUrl: fake.url, dims: 768, timeoutMs: 300 });
    expect(await code(quick.embed(['a'], 'document'))).toBe('UNAVAILABLE');
  });
});

describe('ollama provider', () => {
  let fake: FakeEmbeddingServer;
  beforeAll(async () => (fake = await startFakeOllama()));
  afterAll(() => fake.close());

  it('embeds through /api/embed and validates the vectors', async () => {
    const p = createOllamaProvider({ baseUrl: fake.url, model: 'nomic-embed-text', dims: 768 });
    const [a, b] = await p.embed(['coffee with dana', 'dana and coffee'], 'document');
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/embed',
      body: { model: 'nomic-embed-text', input: ['coffee with dana', 'dana and coffee'] },
    });
    expect(dot(a!, b!)).toBeGreaterThan(0.5);
    fake.inject('wrongDims', 'http500');
    expect(await code(p.embed(['x'], 'document'))).toBe('VALIDATION');
    expect(await code(p.embed(['x'], 'document'))).toBe('UNAVAILABLE');
  });

  it('reports an unreachable server as unavailable', async () => {
    const p = createOllamaProvider({ baseUrl: 'http://127.0.0.1:9', dims: 768, timeoutMs: 1_000 });
    expect(await code(p.embed(['x'], 'document'))).toBe('UNAVAILABLE');
  });
});

describe('vectors and redaction', () => {
  it('refuses wrong counts, dimensions and non-finite values', () => {
    expect(() => validateVectors([[1, 2]], 2, 2)).toThrow(/1 vectors for 2 texts/);
    expect(() => validateVectors([[1, 2, 3]], 1, 2)).toThrow(/3 dimensions/);
    expect(() => validateVectors([[1, Infinity]], 1, 2)).toThrow(/finite/);
    expect(() => validateVectors([[Number.NaN, 1]], 1, 2)).toThrow(/finite/);
  });

  it('places texts that share words near each other', () => {
    const a = hashedEmbedding('tomatoes on the balcony', 64);
    expect(dot(a, hashedEmbedding('balcony tomato plants', 64))).toBeGreaterThan(
      dot(a, hashedEmbedding('vendor pricing', 64)),
    );
  });

  it('redacts e-mail addresses, phone numbers and never-send words', () => {
    expect(
      redact('mail dana.k+x@example.co.uk or call +1 (555) 123-4567 about Project Falcon', ['project falcon']),
    ).toBe('mail [email] or call [phone] about [redacted]');
    // Short numbers, times and years are kept.
    expect(redact('at 10:30 in 2026, room 42')).toBe('at 10:30 in 2026, room 42');
  });
});
