// What the fake Gemini and Ollama servers share: a real node:http server on 127.0.0.1 (port 0),
// request recording, deterministic vectors from the hashed embedder, and fault injection — queued
// one-shot faults (5xx, 429, a hang that never answers, a connection reset, wrong dimensions, NaN),
// a `down` switch that fails every request until it is turned off, and a delay for every answer.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { hashedEmbedding } from '../../src/main/search/providers/hashed';

export type Fault = 'http500' | 'http429' | 'hang' | 'reset' | 'wrongDims' | 'nan';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface FakeEmbeddingServer {
  url: string;
  requests: Recorded[];
  /** Every text the server received, in order. */
  texts(): string[];
  /** One-shot faults, used by the next requests in order. */
  inject(...faults: Fault[]): void;
  /** While down, every request gets a 503. */
  down: boolean;
  /** Answers wait this long (to hold a request in flight, e.g. for a SIGKILL mid-batch). */
  delayMs: number;
  close(): Promise<void>;
}

export interface Handler {
  /** Pulls the texts out of a request body, or null when the request is not an embedding call. */
  texts(path: string, body: unknown): string[] | null;
  /** Builds the response body for the vectors. */
  respond(vectors: number[][]): unknown;
}

export async function startFakeEmbeddingServer(handler: Handler, dims: number): Promise<FakeEmbeddingServer> {
  const requests: Recorded[] = [];
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();
  const state = { down: false, delayMs: 0 };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      const path = (req.url ?? '').split('?')[0]!;
      requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      const texts = req.method === 'POST' ? handler.texts(path, body) : null;
      if (!texts) return send(res, 404, { error: `no route ${req.method} ${path}` });
      if (state.down) return send(res, 503, { error: { code: 503, message: 'unavailable', status: 'UNAVAILABLE' } });
      const fault = faults.shift();
      if (fault === 'hang') return;
      if (fault === 'reset') return req.socket.destroy();
      if (fault === 'http500') return send(res, 500, { error: { code: 500, message: 'boom', status: 'INTERNAL' } });
      if (fault === 'http429') {
        return send(res, 429, { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } });
      }
      const vectors = texts.map((t) => Array.from(hashedEmbedding(t, fault === 'wrongDims' ? dims - 1 : dims)));
      if (fault === 'nan' && vectors[0]) vectors[0][0] = Number.NaN;
      // JSON has no NaN: it arrives as null, which the client must refuse just the same.
      const answer = () => send(res, 200, handler.respond(vectors));
      if (state.delayMs > 0) setTimeout(answer, state.delayMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    texts: () => requests.flatMap((r) => handler.texts(r.path, r.body) ?? []),
    inject: (...f) => void faults.push(...f),
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
