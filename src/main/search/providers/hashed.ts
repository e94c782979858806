// A deterministic local embedder: hashed bag of words (each word and its 5-letter stem add +-1 to a
// dimension picked by a hash), unit length. Texts sharing words are near each other, so it stands in
// for a real model in the fake servers, the data generator and benchmarks; it knows no synonyms.
import { createHash } from 'node:crypto';
import { normalize, type EmbeddingProvider } from './port';

const WORD = /[\p{L}\p{N}]+/gu;

function bucket(token: string, dims: number): [number, number] {
  const h = createHash('sha1').update(token).digest();
  return [h.readUInt32LE(0) % dims, h[4]! & 1 ? 1 : -1];
}

export function hashedEmbedding(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (const word of text.normalize('NFKD').toLowerCase().match(WORD) ?? []) {
    for (const token of word.length > 5 ? [word, `stem:${word.slice(0, 5)}`] : [word]) {
      const [i, sign] = bucket(token, dims);
      v[i]! += sign;
    }
  }
  return normalize(v);
}

/** The hashed embedder as a provider: local, instant, deterministic (generator, benchmarks, tests). */
export function createHashedProvider(dims: number): EmbeddingProvider {
  return {
    name: 'hashed',
    model: 'bow-sha1',
    dims,
    embed: (texts) => Promise.resolve(texts.map((t) => hashedEmbedding(t, dims))),
  };
}
