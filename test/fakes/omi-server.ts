// A fake OMI Developer API: a real node:http server on 127.0.0.1 implementing its endpoint table
// (memories, conversations, action items) over in-memory state, with its validations (memory content
// 1-500, memory batch <= 25, action item description required, action item batch <= 50, scopes ->
// 403, Bearer key -> 401), its limit (100 requests per minute per key, X-RateLimit-* headers, 429 with
// Retry-After) on an injectable clock, and fault injection: 5xx, 429, timeouts (no answer), connection
// resets and truncated bodies, each before or after the request takes effect. Every request is
// recorded. Memory ids derive from content, as OMI's appear to; action item ids are random.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Scope =
  | 'memories:read'
  | 'memories:write'
  | 'conversations:read'
  | 'conversations:write'
  | 'action_items:read'
  | 'action_items:write';
export const ALL_SCOPES: Scope[] = [
  'memories:read',
  'memories:write',
  'conversations:read',
  'conversations:write',
  'action_items:read',
  'action_items:write',
];

export interface FakeMemory {
  id: string;
  content: string;
  category: string;
  visibility: string;
  tags: string[];
  created_at: string;
  updated_at: string;
  conversation_id: string | null;
  manually_added: boolean;
  reviewed: boolean;
  edited: boolean;
  /** Locked: the API shows 70 characters and "...". */
  locked?: boolean;
}

export type FakeConversation = Record<string, unknown> & {
  id: string;
  created_at: string;
  status?: string;
  discarded?: boolean;
  is_locked?: boolean;
};

export interface FakeActionItem {
  id: string;
  description: string;
  completed: boolean;
  created_at: string;
  updated_at: string;
  due_at: string | null;
  completed_at: string | null;
  conversation_id: string | null;
}

export type FaultKind = 'status' | 'reset' | 'timeout' | 'truncate';

export interface Fault {
  kind: FaultKind;
  /** For 'status': the status to answer (500, 503, 429, 422...). */
  status?: number;
  headers?: Record<string, string>;
  /** Apply the request first, then fail (the client cannot know it took effect). Default false. */
  after?: boolean;
  /** How many requests it hits (default 1). */
  times?: number;
  /** Only requests this returns true for. */
  match?: (req: RecordedRequest) => boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  at: number;
  key: string | null;
  idempotencyKey: string | null;
  body: unknown;
  status?: number;
  fault?: FaultKind;
}

export interface FakeOmiOptions {
  port?: number;
  /** Keys and their scopes; default one key with every scope. */
  keys?: Record<string, Scope[]>;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Requests per window per key; false switches the limit off. */
  rateLimit?: { limit: number; windowMs: number } | false;
  /** Random faults: this share of requests gets one of `kinds`. Seeded, so a run can be replayed. */
  randomFaults?: { rate: number; seed: number; faults: Omit<Fault, 'times' | 'match'>[]; match?: Fault['match'] };
}

export const FAKE_KEY = 'omi_dev_fake_key_0123456789';

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(String(detail));
  }
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function createFakeOmi(options: FakeOmiOptions = {}) {
  const now = options.now ?? (() => Date.now());
  const keys = options.keys ?? { [FAKE_KEY]: ALL_SCOPES };
  const limit = options.rateLimit === false ? null : (options.rateLimit ?? { limit: 100, windowMs: 60_000 });
  const random = options.randomFaults ? rng(options.randomFaults.seed) : () => 1;

  const state = {
    memories: new Map<string, FakeMemory>(),
    conversations: new Map<string, FakeConversation>(),
    actionItems: new Map<string, FakeActionItem>(),
    /** POSTs of content that already existed (a client that re-sends a create it already made). */
    dedupedCreates: 0,
    /** Per "METHOD idempotency-key", how many requests changed state: "applied exactly once" means <= 1. */
    effectiveWrites: new Map<string, number>(),
    /**
     * Every change that took effect, by what it did: "PATCH <id> <content>", "DELETE <id>" (memories and
     * action items alike). Applying a
     * change twice (a stale job writing an older state again) shows as a count above 1.
     */
    appliedChanges: new Map<string, number>(),
    /** Every create that added a memory, by content. */
    createdContents: new Map<string, number>(),
    /** Every create that added an action item, by description. */
    createdActionItems: new Map<string, number>(),
  };
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const windows = new Map<string, { start: number; count: number }>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let counter = 0;

  const iso = () => new Date(now()).toISOString();
  const memoryId = (content: string) => `m_${createHash('sha256').update(content).digest('hex').slice(0, 20)}`;

  /** Counts a change that took effect: by idempotency key, and by what it did to which memory. */
  function wrote(r: RecordedRequest, changed: boolean, what?: string): void {
    if (!changed) return;
    if (what) state.appliedChanges.set(what, (state.appliedChanges.get(what) ?? 0) + 1);
    if (!r.idempotencyKey) return;
    for (const k of r.idempotencyKey.split(',')) {
      const key = `${r.method} ${k}`;
      state.effectiveWrites.set(key, (state.effectiveWrites.get(key) ?? 0) + 1);
    }
  }

  function visibleMemory(m: FakeMemory) {
    const { locked, ...rest } = m;
    return locked ? { ...rest, content: `${m.content.slice(0, 70)}...` } : rest;
  }

  function validateMemory(m: unknown, partial: boolean): Partial<FakeMemory> {
    if (typeof m !== 'object' || m === null) throw new HttpError(422, 'body must be an object');
    const o = m as Record<string, unknown>;
    if (!partial || o.content !== undefined) {
      if (typeof o.content !== 'string' || o.content.length < 1 || o.content.length > 500) {
        throw new HttpError(422, [{ loc: ['body', 'content'], msg: 'content must be 1-500 characters' }]);
      }
    }
    if (o.tags !== undefined && (!Array.isArray(o.tags) || o.tags.some((t) => typeof t !== 'string'))) {
      throw new HttpError(422, 'tags must be strings');
    }
    return o;
  }

  function validateActionItem(a: unknown, partial: boolean): Partial<FakeActionItem> {
    if (typeof a !== 'object' || a === null) throw new HttpError(422, 'body must be an object');
    const o = a as Record<string, unknown>;
    if (!partial || o.description !== undefined) {
      if (typeof o.description !== 'string' || o.description.trim().length === 0) {
        throw new HttpError(422, [{ loc: ['body', 'description'], msg: 'description is required' }]);
      }
    }
    if (o.completed !== undefined && typeof o.completed !== 'boolean') throw new HttpError(422, 'completed: bool');
    for (const k of ['due_at', 'conversation_id'] as const) {
      if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'string') throw new HttpError(422, `${k}: string`);
    }
    if (typeof o.due_at === 'string' && Number.isNaN(Date.parse(o.due_at))) throw new HttpError(422, 'due_at: date');
    return o;
  }

  function createActionItem(input: Partial<FakeActionItem>): FakeActionItem {
    const t = new Date(now() + counter++).toISOString();
    const completed = input.completed === true;
    const item: FakeActionItem = {
      id: randomUUID(), // random, unlike memory ids: a create sent twice makes two items
      description: input.description!,
      completed,
      created_at: t,
      updated_at: t,
      due_at: input.due_at ?? null,
      completed_at: completed ? t : null,
      conversation_id: input.conversation_id ?? null,
    };
    state.actionItems.set(item.id, item);
    state.createdActionItems.set(item.description, (state.createdActionItems.get(item.description) ?? 0) + 1);
    return item;
  }

  function createMemory(input: Partial<FakeMemory>): FakeMemory {
    const id = memoryId(input.content!);
    const existing = state.memories.get(id);
    if (existing) {
      state.dedupedCreates++;
      return existing;
    }
    const t = new Date(now() + counter++).toISOString(); // strictly increasing: newest-first is stable
    const m: FakeMemory = {
      id,
      content: input.content!,
      category: input.category ?? 'manual',
      visibility: input.visibility ?? 'private',
      tags: input.tags ?? [],
      created_at: t,
      updated_at: t,
      conversation_id: null,
      manually_added: true,
      reviewed: false,
      edited: false,
    };
    state.memories.set(id, m);
    state.createdContents.set(m.content, (state.createdContents.get(m.content) ?? 0) + 1);
    return m;
  }

  function page<T>(items: T[], query: Record<string, string>, def: number, max: number): T[] {
    const l = Math.min(Number(query.limit ?? def) || def, max);
    const o = Number(query.offset ?? 0) || 0;
    return items.slice(o, o + l);
  }

  const newestFirst = <T extends { created_at: string }>(items: Iterable<T>) =>
    [...items].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));

  function need(scopes: Scope[], scope: Scope): void {
    if (!scopes.includes(scope)) throw new HttpError(403, `this key lacks the ${scope} scope`);
  }

  function listedConversation(c: FakeConversation, transcript: boolean) {
    const { is_locked: _l, ...rest } = c;
    if (!transcript) delete rest.transcript_segments;
    return rest;
  }

  /** The API itself: method + path -> answer. Throws HttpError for 4xx. */
  function route(r: RecordedRequest, scopes: Scope[]): Answer {
    const parts = r.path
      .replace(/^\/v1\/dev/, '')
      .split('/')
      .filter(Boolean);
    const [user, resource, id, extra] = parts;
    if (user !== 'user') throw new HttpError(404, 'Not Found');
    const body = r.body as Record<string, unknown> | undefined;
    if (resource === 'memories') {
      need(scopes, r.method === 'GET' ? 'memories:read' : 'memories:write');
      if (r.method === 'GET' && !id) {
        let items = newestFirst(state.memories.values());
        if (r.query.categories) {
          const cats = new Set(r.query.categories.split(','));
          items = items.filter((m) => cats.has(m.category));
        }
        return { status: 200, body: page(items, r.query, 25, 1000).map(visibleMemory) };
      }
      if (r.method === 'POST' && id === 'batch' && !extra) {
        const list = body?.memories;
        if (!Array.isArray(list)) throw new HttpError(422, 'memories must be a list');
        if (list.length > 25) throw new HttpError(422, 'at most 25 memories per batch');
        const valid = list.map((m) => validateMemory(m, false));
        const before = state.memories.size;
        const created = valid.map((m) => createMemory(m));
        wrote(r, state.memories.size > before);
        return { status: 200, body: { memories: created.map(visibleMemory), created_count: created.length } };
      }
      if (r.method === 'POST' && !id) {
        const before = state.memories.size;
        const m = createMemory(validateMemory(body, false));
        wrote(r, state.memories.size > before);
        return { status: 200, body: visibleMemory(m) };
      }
      const m = id ? state.memories.get(id) : undefined;
      if (!m) throw new HttpError(404, 'Memory not found');
      if (r.method === 'PATCH') {
        const patch = validateMemory(body, true);
        const next = {
          ...m,
          content: patch.content ?? m.content,
          category: patch.category ?? m.category,
          visibility: patch.visibility ?? m.visibility,
          tags: patch.tags ?? m.tags,
        };
        const changed = JSON.stringify(next) !== JSON.stringify(m);
        if (changed) state.memories.set(m.id, { ...next, edited: true, updated_at: iso() });
        wrote(r, changed, `PATCH ${m.id} ${JSON.stringify(next.content)}`);
        return { status: 200, body: visibleMemory(state.memories.get(m.id)!) };
      }
      if (r.method === 'DELETE') {
        state.memories.delete(m.id);
        wrote(r, true, `DELETE ${m.id}`);
        return { status: 200, body: { success: true } };
      }
    }
    if (resource === 'conversations') {
      need(scopes, r.method === 'GET' ? 'conversations:read' : 'conversations:write');
      const transcript = r.query.include_transcript === 'true';
      if (r.method === 'GET' && !id) {
        const items = newestFirst(state.conversations.values()).filter(
          (c) => (c.status ?? 'completed') === 'completed' && !c.discarded && !c.is_locked,
        );
        return { status: 200, body: page(items, r.query, 25, 1000).map((c) => listedConversation(c, transcript)) };
      }
      if (r.method === 'POST' && !id) {
        if (typeof body?.text !== 'string' || body.text.length > 100_000) throw new HttpError(422, 'text is required');
        const c = { id: randomUUID(), created_at: iso(), status: 'completed', structured: { title: 'New' } };
        state.conversations.set(c.id, c);
        return { status: 200, body: { id: c.id, status: 'completed', discarded: false } };
      }
      const c = id ? state.conversations.get(id) : undefined;
      if (!c || c.is_locked) throw new HttpError(404, 'Conversation not found');
      if (r.method === 'GET') return { status: 200, body: listedConversation(c, transcript) };
      if (r.method === 'PATCH') {
        if (typeof body?.discarded === 'boolean') c.discarded = body.discarded;
        if (typeof body?.title === 'string') c.structured = { ...(c.structured as object), title: body.title };
        return { status: 200, body: listedConversation(c, false) };
      }
      if (r.method === 'DELETE') {
        state.conversations.delete(c.id);
        return { status: 200, body: { success: true } };
      }
    }
    if (resource === 'action-items') {
      need(scopes, r.method === 'GET' ? 'action_items:read' : 'action_items:write');
      if (r.method === 'GET' && !id) {
        return { status: 200, body: page(newestFirst(state.actionItems.values()), r.query, 100, 1000) };
      }
      if (r.method === 'POST' && id === 'batch' && !extra) {
        const list = body?.action_items;
        if (!Array.isArray(list)) throw new HttpError(422, 'action_items must be a list');
        if (list.length > 50) throw new HttpError(422, 'at most 50 action items per batch');
        const valid = list.map((a) => validateActionItem(a, false)); // all or nothing, like memories
        const created = valid.map((a) => createActionItem(a));
        wrote(r, true);
        return { status: 200, body: { action_items: created } };
      }
      if (r.method === 'POST' && !id) {
        const created = createActionItem(validateActionItem(body, false));
        wrote(r, true);
        return { status: 200, body: created };
      }
      const a = id && !extra ? state.actionItems.get(id) : undefined;
      if (!a) throw new HttpError(404, 'Action item not found');
      if (r.method === 'PATCH') {
        const patch = validateActionItem(body, true);
        const next: FakeActionItem = {
          ...a,
          description: patch.description ?? a.description,
          completed: patch.completed ?? a.completed,
          due_at: patch.due_at !== undefined ? patch.due_at : a.due_at,
        };
        // OMI stamps completion itself.
        if (next.completed !== a.completed) next.completed_at = next.completed ? iso() : null;
        const changed = JSON.stringify(next) !== JSON.stringify(a);
        if (changed) state.actionItems.set(a.id, { ...next, updated_at: iso() });
        wrote(r, changed, `PATCH ${a.id} ${JSON.stringify([next.description, next.completed])}`);
        return { status: 200, body: state.actionItems.get(a.id) };
      }
      if (r.method === 'DELETE') {
        state.actionItems.delete(a.id);
        wrote(r, true, `DELETE ${a.id}`);
        return { status: 200, body: { success: true } };
      }
    }
    throw new HttpError(404, 'Not Found');
  }

  function pickFault(r: RecordedRequest): Fault | undefined {
    const i = faults.findIndex((f) => !f.match || f.match(r));
    if (i >= 0) {
      const f = faults[i]!;
      if ((f.times ?? 1) <= 1) faults.splice(i, 1);
      else f.times = (f.times ?? 1) - 1;
      return f;
    }
    const rf = options.randomFaults;
    if (rf && (!rf.match || rf.match(r)) && random() < rf.rate) {
      return rf.faults[Math.floor(random() * rf.faults.length)];
    }
    return undefined;
  }

  function rateHeaders(key: string): { headers: Record<string, string>; over: boolean } {
    if (!limit) return { headers: {}, over: false };
    const t = now();
    let w = windows.get(key);
    if (!w || t >= w.start + limit.windowMs) windows.set(key, (w = { start: t, count: 0 }));
    w.count++;
    const reset = Math.ceil((w.start + limit.windowMs) / 1000);
    const over = w.count > limit.limit;
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(Math.max(0, limit.limit - w.count)),
      'x-ratelimit-reset': String(reset),
    };
    if (over) headers['retry-after'] = String(Math.max(0, Math.ceil((w.start + limit.windowMs - t) / 1000)));
    return { headers, over };
  }

  function send(res: ServerResponse, a: Answer, truncate = false): void {
    const text = JSON.stringify(a.body);
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    if (truncate) {
      // Promise the whole length, send half, cut the connection.
      res.write(text.slice(0, Math.floor(text.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const auth = req.headers.authorization ?? '';
    const key = /^Bearer (\S+)$/.exec(auth)?.[1] ?? null;
    const r: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      at: now(),
      key,
      idempotencyKey: (req.headers['idempotency-key'] as string | undefined) ?? null,
      body,
    };
    requests.push(r);

    const scopes = key ? keys[key] : undefined;
    if (!scopes) {
      r.status = 401;
      return send(res, { status: 401, body: { detail: 'Invalid API key' } });
    }
    const rate = rateHeaders(key!);
    if (rate.over) {
      r.status = 429;
      return send(res, { status: 429, body: { detail: 'Rate limit exceeded' }, headers: rate.headers });
    }
    const fault = pickFault(r);
    if (fault) r.fault = fault.kind;
    let answer: Answer | undefined;
    const apply = () => {
      try {
        answer = { ...route(r, scopes), headers: rate.headers };
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        answer = { status: err.status, body: { detail: err.detail }, headers: rate.headers };
      }
    };
    if (!fault || fault.after) apply();
    if (fault?.kind === 'status') {
      r.status = fault.status ?? 500;
      return send(res, {
        status: r.status,
        body: { detail: 'injected failure' },
        headers: { ...rate.headers, ...fault.headers },
      });
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'timeout') {
      hanging.add(res); // never answered; closed with the server
      return;
    }
    if (fault?.kind === 'truncate') {
      if (!answer) apply();
      r.status = answer!.status;
      return send(res, answer!, true);
    }
    r.status = answer!.status;
    send(res, answer!);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ detail: String(err) }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return new Promise<FakeOmi>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}/v1/dev`,
        state,
        requests,
        inject: (fault: Fault) => void faults.push(fault),
        clearFaults: () => void faults.splice(0),
        setRandomFaults(rate: number) {
          if (options.randomFaults) options.randomFaults.rate = rate;
        },
        addMemory(m: Partial<FakeMemory> & { content: string }): FakeMemory {
          const created = createMemory(m);
          Object.assign(created, { ...m, id: created.id });
          return created;
        },
        addConversation(c: Partial<FakeConversation> & { id?: string }): FakeConversation {
          const conv = {
            status: 'completed',
            created_at: new Date(now() + counter++).toISOString(),
            ...c,
          } as FakeConversation;
          conv.id ??= randomUUID();
          state.conversations.set(conv.id, conv);
          return conv;
        },
        addActionItem(a: Partial<FakeActionItem> & { description: string }): FakeActionItem {
          const item: FakeActionItem = {
            id: randomUUID(),
            completed: false,
            created_at: new Date(now() + counter++).toISOString(),
            updated_at: iso(),
            due_at: null,
            completed_at: null,
            conversation_id: null,
            ...a,
          };
          state.actionItems.set(item.id, item);
          return item;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const res of hanging) res.destroy();
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

export interface FakeOmi {
  url: string;
  state: {
    memories: Map<string, FakeMemory>;
    conversations: Map<string, FakeConversation>;
    actionItems: Map<string, FakeActionItem>;
    dedupedCreates: number;
    effectiveWrites: Map<string, number>;
    appliedChanges: Map<string, number>;
    createdContents: Map<string, number>;
    createdActionItems: Map<string, number>;
  };
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  setRandomFaults(rate: number): void;
  addMemory(m: Partial<FakeMemory> & { content: string }): FakeMemory;
  addConversation(c: Partial<FakeConversation> & { id?: string }): FakeConversation;
  addActionItem(a: Partial<FakeActionItem> & { description: string }): FakeActionItem;
  close(): Promise<void>;
}
