// The search worker (worker.ts) from the main thread: keyword search ranks some kinds there while it
// ranks the others here (rankKeywordWith), which on a two-core laptop takes a query's cost from the
// sum of its kinds towards the largest of them. See index.ts for which kinds go.
//
// The worker opens its own connection with the vault's raw key (handed over in workerData, zeroed
// there once the vault is open; the key never leaves the process), starts on first use and is
// unref'd while idle, so it never keeps a process alive. Until it reports ready, and after it fails,
// its requests are refused at once and their kinds are ranked here: search never waits on it to
// start and never breaks because it stopped.
import { Worker } from 'node:worker_threads';
import type { SearchKind } from '../../shared/models';
import { AppError } from '../errors';
import { workerSpec } from '../worker-spec';
import type { RankedKind, RankElsewhere, Where } from './keyword';
import type { ParsedQuery } from './query';

export interface RankerStart {
  dbPath: string;
  dbKey: Uint8Array;
}

export interface RankerRequest {
  id: number;
  kind: SearchKind;
  q: ParsedQuery;
  where: Where;
  want: number;
  cap: number;
}

export type RankerReply =
  | { type: 'ready' }
  | { type: 'ranked'; id: number; result: RankedKind }
  | { type: 'failed'; id: number; message: string };

export type RankerState = 'starting' | 'ready' | 'stopped';

export interface Ranker {
  rank: RankElsewhere;
  /** Requests go to the worker only when 'ready' (not while it starts, nor once it has stopped). */
  readonly state: RankerState;
  close(): Promise<void>;
}

interface Pending {
  resolve: (r: RankedKind) => void;
  reject: (err: Error) => void;
}

/** `worker`: a worker file to run instead of the one beside this module (tests: the build's, a failing one). */
export function createRanker(
  dbPath: string,
  dbKey: Buffer,
  options: { worker?: URL; onStopped?: (why: string) => void } = {},
): Ranker {
  const spec = options.worker
    ? { url: options.worker, execArgv: [] }
    : workerSpec(import.meta.url, './worker.ts', 'search-worker');
  const start: RankerStart = { dbPath, dbKey: Uint8Array.from(dbKey) };
  const thread = new Worker(spec.url, { execArgv: spec.execArgv, workerData: start });
  start.dbKey.fill(0);
  thread.unref();
  const pending = new Map<number, Pending>();
  let state: RankerState = 'starting';
  let nextId = 1;

  const settle = (id: number) => {
    const p = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) thread.unref();
    return p;
  };
  thread.on('message', (m: RankerReply) => {
    if (m.type === 'ready') {
      if (state === 'starting') state = 'ready';
    } else if (m.type === 'ranked') settle(m.id)?.resolve(m.result);
    else settle(m.id)?.reject(new AppError('INTERNAL', `search worker: ${m.message}`));
  });
  const stopped = (why: string) => {
    if (state === 'stopped') return;
    state = 'stopped';
    for (const id of [...pending.keys()]) settle(id)?.reject(new AppError('INTERNAL', `search worker ${why}`));
    options.onStopped?.(why);
  };
  thread.on('error', (err) => stopped(`failed: ${err.message}`));
  thread.on('exit', (code) => stopped(`exited (code ${code})`));

  return {
    get state() {
      return state;
    },
    rank(kind, q, where, want, cap) {
      if (state !== 'ready') return Promise.reject(new AppError('INTERNAL', `search worker ${state}`));
      return new Promise<RankedKind>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        thread.ref();
        thread.postMessage({ id, kind, q, where, want, cap } satisfies RankerRequest);
      });
    },
    async close() {
      stopped('closed');
      await thread.terminate();
    },
  };
}
