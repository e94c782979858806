// WAL checkpoints on a thread of their own (checkpoint-worker.ts).
//
// SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL past 1,000 frames: that
// commit copies ~4 MB of pages into the database file and syncs it, about 30 ms on this hardware,
// during which the event loop is stopped. A webhook delivery writes 20-40 frames, so under a steady
// stream of deliveries every 25th-50th acknowledgement (and everything queued behind it) waited for
// a checkpoint. With a checkpointer the main connection stops checkpointing (wal_autocheckpoint = 0)
// and a worker holding its own connection runs PASSIVE checkpoints every CHECKPOINT_EVERY_MS. A
// PASSIVE checkpoint takes no lock a writer needs, so commits carry on while it copies. The WAL is
// restarted from its beginning by the first write after a checkpoint that caught up.
//
// If the worker cannot start or stops, the main connection checkpoints by itself again
// (wal_autocheckpoint back to its default), so the WAL never grows without bound. A crash at any
// moment is safe: checkpointing only copies committed frames, and SQLite resumes it on next open.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logging';
import type { Db } from './open';
import { workerSpec } from '../worker-spec';

/** SQLite's default wal_autocheckpoint, restored when the worker stops. */
export const AUTOCHECKPOINT_FRAMES = 1000;
export const CHECKPOINT_EVERY_MS = 100;

export interface CheckpointStart {
  dbPath: string;
  dbKey: Uint8Array;
  everyMs: number;
}

export type CheckpointReply = { type: 'ready' } | { type: 'failed'; message: string };

export type CheckpointerState = 'starting' | 'running' | 'stopped';

export interface Checkpointer {
  readonly state: CheckpointerState;
  /** Stops the worker; the main connection (if still open) checkpoints by itself again. */
  close(): Promise<void>;
}

/** `worker`: a worker file to run instead of the one beside this module (tests: a failing one). */
export function startCheckpointer(
  db: Db,
  dbPath: string,
  dbKey: Buffer,
  options: { worker?: URL; everyMs?: number; onStopped?: (why: string) => void } = {},
): Checkpointer {
  const spec = options.worker
    ? { url: options.worker, execArgv: [] }
    : workerSpec(import.meta.url, './checkpoint-worker.ts', 'checkpoint-worker');
  const start: CheckpointStart = {
    dbPath,
    dbKey: Uint8Array.from(dbKey),
    everyMs: options.everyMs ?? CHECKPOINT_EVERY_MS,
  };
  const thread = new Worker(spec.url, { execArgv: spec.execArgv, workerData: start });
  start.dbKey.fill(0);
  thread.unref();
  let state: CheckpointerState = 'starting';

  const stopped = (why: string) => {
    if (state === 'stopped') return;
    state = 'stopped';
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_FRAMES}`);
    options.onStopped?.(why);
  };
  thread.on('message', (m: CheckpointReply) => {
    if (m.type === 'ready' && state === 'starting' && db.open) {
      // Only now that the worker checkpoints does the main connection stop doing it.
      state = 'running';
      db.pragma('wal_autocheckpoint = 0');
    } else if (m.type === 'failed') {
      stopped(`failed: ${m.message}`);
      void thread.terminate();
    }
  });
  thread.on('error', (err) => stopped(`failed: ${err.message}`));
  thread.on('exit', (code) => stopped(`exited (code ${code})`));

  return {
    get state() {
      return state;
    },
    async close() {
      stopped('closed');
      await thread.terminate();
    },
  };
}

export interface CheckpointsDeps {
  /** The vault file and its raw key, for the worker's own connection. */
  connection(profileId: string): { dbPath: string; dbKey: Buffer };
  logger: Logger;
}

/**
 * One checkpointer per unlocked profile, for hosts that run for a while (the app, `serve`); off
 * until a host turns it on, so one-shot CLI commands and tests start no thread for it.
 */
export function createCheckpoints(deps: CheckpointsDeps) {
  let on = false;
  const running = new Map<string, { db: Db; checkpointer: Checkpointer }>();

  return {
    /** Whether sessions attached from now on (and those attached already) get a checkpointer. */
    enable(value: boolean, sessions: { profileId: string; db: Db }[]): void {
      on = value;
      if (on) for (const s of sessions) this.attach(s.profileId, s.db);
      else void this.halt();
    },

    /** After an unlock. */
    attach(profileId: string, db: Db): void {
      if (!on || running.get(profileId)?.db === db) return;
      void this.forget(profileId);
      const { dbPath, dbKey } = deps.connection(profileId);
      const checkpointer = startCheckpointer(db, dbPath, dbKey, {
        onStopped: (why) => {
          if (why !== 'closed') deps.logger.warn({ why }, 'checkpoint worker stopped; commits checkpoint again');
        },
      });
      running.set(profileId, { db, checkpointer });
    },

    state(profileId: string): CheckpointerState | 'none' {
      return running.get(profileId)?.checkpointer.state ?? 'none';
    },

    /** Before a lock or a delete closes the connection. */
    async forget(profileId: string): Promise<void> {
      const r = running.get(profileId);
      running.delete(profileId);
      await r?.checkpointer.close();
    },

    /** Every checkpointer (the host is closing). */
    async halt(): Promise<void> {
      const all = [...running.values()];
      running.clear();
      await Promise.all(all.map((r) => r.checkpointer.close()));
    },
  };
}

export type Checkpoints = ReturnType<typeof createCheckpoints>;
