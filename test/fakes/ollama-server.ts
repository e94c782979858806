// A fake Ollama server: `POST /api/embed` with {model, input: string | string[]} answering
// {model, embeddings: [[...]]} with deterministic hashed bag-of-words vectors. See embedding-fake.ts
// for recording and fault injection.
import { startFakeEmbeddingServer, type FakeEmbeddingServer } from './embedding-fake';

export async function startFakeOllama(dims = 768): Promise<FakeEmbeddingServer> {
  return startFakeEmbeddingServer(
    {
      texts(path, body) {
        if (path !== '/api/embed') return null;
        const input = (body as { input?: string | string[] }).input;
        return typeof input === 'string' ? [input] : (input ?? []);
      },
      respond: (vectors) => ({ model: 'fake', embeddings: vectors }),
    },
    dims,
  );
}
