// Runs import jobs (job.ts) on one worker thread, started on first use and kept for the next one.
// Jobs run one at a time; the worker is unref'd while idle, so it never keeps a process alive.
// The main thread only passes messages: the import's reading, checks and apply transaction all run
// in the worker (DESIGN.md §10: the event loop is never blocked for more than 50 ms).
//
// A worker cannot share the main thread's connection, so it opens its own with the vault's raw key
// (ENVIRONMENT.md: well under a millisecond; the key never leaves the process).
import { Worker } from 'node:worker_threads';
import PQueue from 'p-queue';
import type { ImportReport } from '../../shared/models';
import { AppError } from '../errors';
import { workerSpec } from '../worker-spec';
import { fromWire, type ImportJob, type JobProgress, type WorkerReply, type WorkerRequest } from './job';

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
    const spec = worker ? { url: worker, execArgv: [] } : workerSpec(import.meta.url, './worker.ts', 'archive-worker');
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
