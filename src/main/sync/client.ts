// The OMI Developer API client. Every call goes: retry (cockatiel, exponential backoff with jitter,
// transient failures only) -> circuit breaker (persisted, per upstream) -> rate limiter (100 per
// sliding minute, server hints) -> timeout -> fetch. Every response body is parsed by zod; every
// failure is an OmiApiError of a known kind. The key travels only in the Authorization header.
import { ExponentialBackoff, handleWhen, retry, TaskCancelledError, timeout, TimeoutStrategy } from 'cockatiel';
import type { z } from 'zod';
import type { PersistedBreaker } from './breaker';
import { errorKindForStatus, OmiApiError } from './errors';
import type { RateLimiter } from './rate-limiter';
import {
  BatchActionItemsCreated,
  BatchCreated,
  ErrorBody,
  RemoteActionItem,
  RemoteActionItemList,
  RemoteConversationList,
  RemoteMemory,
  RemoteMemoryList,
  Success,
} from './schemas';

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch: Fetch;
  limiter: RateLimiter;
  breaker: PersistedBreaker;
  timeoutMs: number;
  /** Retries after the first try; 0 turns retrying off. */
  retries: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
}

export interface NewRemoteMemory {
  content: string;
  category?: string;
  visibility?: string;
  tags?: string[];
}

export interface NewRemoteActionItem {
  description: string;
  completed: boolean;
  due_at: string | null;
  conversation_id?: string | null;
}

type Query = Record<string, string | number | boolean | undefined>;

function detailOf(text: string): string {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    if (parsed.success) {
      const d = parsed.data.detail;
      return (typeof d === 'string' ? d : JSON.stringify(d)).slice(0, 300);
    }
  } catch {
    // not JSON: fall through to the status text
  }
  return text.slice(0, 120);
}

export function createOmiClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const retryPolicy = retry(
    handleWhen((err) => err instanceof OmiApiError && err.transient),
    {
      maxAttempts: options.retries,
      backoff: new ExponentialBackoff({
        initialDelay: options.retryInitialDelayMs,
        maxDelay: options.retryMaxDelayMs,
      }),
    },
  );
  const noRetry = { execute: <T>(fn: () => Promise<T>) => fn() };
  const timeoutPolicy = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);

  async function attempt<T>(
    method: string,
    url: string,
    body: unknown,
    schema: z.ZodType<T>,
    idempotencyKey: string | undefined,
    signal: AbortSignal,
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // OMI ignores it today; it names the change in logs on both sides and costs nothing.
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    let response: Response;
    let text: string;
    try {
      response = await options.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      options.limiter.observe(response.status, response.headers);
      text = await response.text();
    } catch (err) {
      if (signal.aborted) throw new OmiApiError('timeout', `${method} ${url} timed out`, undefined, { cause: err });
      throw new OmiApiError('network', `${method} ${url} failed: ${(err as Error).message}`, undefined, { cause: err });
    }
    if (!response.ok) {
      const kind = errorKindForStatus(response.status);
      throw new OmiApiError(kind, `OMI answered ${response.status}: ${detailOf(text)}`, response.status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      // A 2xx with a cut-off body: the change may have been applied; the caller treats it as unknown.
      throw new OmiApiError('network', `OMI sent an incomplete response to ${method}`, response.status, { cause: err });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new OmiApiError(
        'server',
        `OMI sent an unexpected response to ${method}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`,
        response.status,
      );
    }
    return parsed.data;
  }

  function request<T>(
    method: string,
    path: string,
    schema: z.ZodType<T>,
    opts: { query?: Query; body?: unknown; idempotencyKey?: string } = {},
  ): Promise<T> {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    // A POST creates something: sending it again after an unclear failure could create it twice, so
    // only the outbox retries those, after looking the first try up (push.ts). Reads, PATCH and
    // DELETE are idempotent and retried here.
    const policy = method === 'POST' ? noRetry : retryPolicy;
    return policy.execute(() =>
      options.breaker.policy.execute(async () => {
        await options.limiter.acquire();
        try {
          return await timeoutPolicy.execute(({ signal }) =>
            attempt(method, url.toString(), opts.body, schema, opts.idempotencyKey, signal),
          );
        } catch (err) {
          if (err instanceof TaskCancelledError) throw new OmiApiError('timeout', `${method} ${path} timed out`);
          throw err;
        }
      }),
    );
  }

  return {
    request,
    listMemories: (limit: number, offset: number) =>
      request('GET', '/user/memories', RemoteMemoryList, { query: { limit, offset } }),
    createMemory: (m: NewRemoteMemory, idempotencyKey?: string) =>
      request('POST', '/user/memories', RemoteMemory, { body: m, idempotencyKey }),
    createMemories: (memories: NewRemoteMemory[], idempotencyKey?: string) =>
      request('POST', '/user/memories/batch', BatchCreated, { body: { memories }, idempotencyKey }),
    updateMemory: (id: string, patch: NewRemoteMemory, idempotencyKey?: string) =>
      request('PATCH', `/user/memories/${encodeURIComponent(id)}`, RemoteMemory, { body: patch, idempotencyKey }),
    deleteMemory: (id: string, idempotencyKey?: string) =>
      request('DELETE', `/user/memories/${encodeURIComponent(id)}`, Success, { idempotencyKey }),
    listConversations: (limit: number, offset: number) =>
      request('GET', '/user/conversations', RemoteConversationList, {
        query: { limit, offset, include_transcript: true },
      }),
    listActionItems: (limit: number, offset: number) =>
      request('GET', '/user/action-items', RemoteActionItemList, { query: { limit, offset } }),
    createActionItem: (a: NewRemoteActionItem, idempotencyKey?: string) =>
      request('POST', '/user/action-items', RemoteActionItem, { body: a, idempotencyKey }),
    createActionItems: (items: NewRemoteActionItem[], idempotencyKey?: string) =>
      request('POST', '/user/action-items/batch', BatchActionItemsCreated, {
        body: { action_items: items },
        idempotencyKey,
      }),
    updateActionItem: (id: string, patch: Omit<NewRemoteActionItem, 'conversation_id'>, idempotencyKey?: string) =>
      request('PATCH', `/user/action-items/${encodeURIComponent(id)}`, RemoteActionItem, {
        body: patch,
        idempotencyKey,
      }),
    deleteActionItem: (id: string, idempotencyKey?: string) =>
      request('DELETE', `/user/action-items/${encodeURIComponent(id)}`, Success, { idempotencyKey }),
  };
}

export type OmiClient = ReturnType<typeof createOmiClient>;
