// Runs import jobs (job.ts) on one worker thread, started on first use and kept for the next one.
// Jobs run one at a time; the worker is unref'd while idle, so it never keeps a process alive.
// The main thread only passes messages: the import's reading, checks and apply transaction all run
// in the worker (DESIGN.md §10: the event loop is never blocked for more than 50 ms).
//
// A worker cannot share the main thread's connection, so it opens its own with the vault's raw key
// (ENVIRONMENT.md: well under a millisecond; the key never leaves the process).
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import PQueue from 'p-queue';
import type { ImportReport } from '../../shared/models';
import { AppError } from '../errors';
import { fromWire, type ImportJob, type JobProgress, type WorkerReply, type WorkerRequest } from './job';

/**
 * When this module runs from TypeScript source (under vitest), the worker is worker.ts: Node
 * transforms the types itself, and this resolve hook adds the `.ts` that extensionless imports leave out.
 */
const RESOLVE_HOOK = `export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (!relative || /\\.[cm]?[jt]s$/.test(specifier)) throw err;
    try {
      return await next(specifier + '.ts', context);
    } catch {
      return next(specifier + '/index.ts', context);
    }
  }
}`;
const RESOLVE_TS = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`)});`,
)}`;

function workerSpec(): { url: URL; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return {
      url: new URL('./worker.ts', here),
      execArgv: ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', '--import', RESOLVE_TS],
    };
  }
  // A build puts its entries in out/main and shared chunks in out/main/chunks; the worker is an entry.
  const url = [new URL('./archive-worker.js', here), new URL('../archive-worker.js', here)].find((u) => existsSync(u));
  if (!url) throw new AppError('INTERNAL', 'this build has no archive worker (out/main/archive-worker.js)');
  return { url, execArgv: [] };
}

interface Running {
  id: number;
  onProgress: (p: JobProgress) => void;
  resolve: (r: ImportReport) => void;
  reject: (err: Error) => void;
}

export interface ImportPool {
  /** Runs the job in the worker; `job.dbKey` is zeroed here once it has been handed over. */
  run(job: ImportJob, onProgress: (p: JobProgress) => void): Promise<ImportReport>;
  close(): Promise<void>;
}

/**
 * `worker`: a built worker file to run instead of the one beside this module (the benchmark runs
 * the bundle).
 */
export function createImportPool(worker?: URL): ImportPool {
  const queue = new PQueue({ concurrency: 1 });
  let thread: Worker | undefined;
  let running: Running | undefined;
  let nextId = 1;

  function settle(): Running | undefined {
    const r = running;
    running = undefined;
    thread?.unref();
    return r;
  }

  function start(): Worker {
    const spec = worker ? { url: worker, execArgv: [] } : workerSpec();
    const w = new Worker(spec.url, { execArgv: spec.execArgv });
    w.unref();
    w.on('message', (m: WorkerReply) => {
      if (m.id !== running?.id) return;
      if (m.type === 'progress') running.onProgress(m.progress);
      else if (m.type === 'done') settle()?.resolve(m.report);
      else settle()?.reject(fromWire(m.error));
    });
    const lost = (why: string) => {
      if (thread === w) thread = undefined;
      settle()?.reject(new AppError('INTERNAL', `the archive worker stopped: ${why}`));
    };
    w.on('error', (err) => lost(err.message));
    w.on('exit', (code) => lost(`exit code ${code}`));
    return w;
  }

  return {
    run(job, onProgress) {
      return queue.add<ImportReport>(
        () =>
          new Promise<ImportReport>((resolve, reject) => {
            try {
              thread ??= start();
              running = { id: nextId++, onProgress, resolve, reject };
              thread.ref();
              thread.postMessage({ id: running.id, job } satisfies WorkerRequest);
            } catch (err) {
              settle();
              reject(err instanceof Error ? err : new Error(String(err)));
            } finally {
              job.dbKey.fill(0);
            }
          }),
      );
    },
    async close() {
      queue.clear();
      const w = thread;
      thread = undefined;
      await w?.terminate();
    },
  };
}
