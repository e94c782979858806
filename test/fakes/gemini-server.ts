// A fake Gemini embedding API: `POST /v1[beta]/models/<model>:batchEmbedContents` as @google/genai sends
// it ({requests: [{content: {parts: [{text}]}, taskType, outputDimensionality}]}) answering
// {embeddings: [{values}]} with deterministic hashed bag-of-words vectors. Requests without the
// x-goog-api-key header get a 401. See embedding-fake.ts for recording and fault injection.
import { startFakeEmbeddingServer, type FakeEmbeddingServer } from './embedding-fake';

interface BatchBody {
  requests?: { content?: { parts?: { text?: string }[] }; taskType?: string; outputDimensionality?: number }[];
}

export async function startFakeGemini(dims = 768): Promise<FakeEmbeddingServer> {
  return startFakeEmbeddingServer(
    {
      texts(path, body) {
        if (!/^\/v1(?:beta)?\/models\/[\w.-]+:batchEmbedContents$/.test(path)) return null;
        return ((body as BatchBody).requests ?? []).map((r) =>
          (r.content?.parts ?? []).map((p) => p.text ?? '').join(''),
        );
      },
      respond: (vectors) => ({ embeddings: vectors.map((values) => ({ values })) }),
    },
    dims,
  );
}

/** The task types and dimensions each recorded request asked for. */
export function geminiRequestShapes(server: FakeEmbeddingServer): { taskType?: string; dims?: number; key?: string }[] {
  return server.requests.flatMap((r) =>
    ((r.body as BatchBody).requests ?? []).map((q) => ({
      taskType: q.taskType,
      dims: q.outputDimensionality,
      key: r.headers['x-goog-api-key'] as string | undefined,
    })),
  );
}
