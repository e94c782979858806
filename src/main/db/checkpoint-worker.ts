// The checkpoint thread (bundled as out/main/checkpoint-worker.js; checkpointer.ts starts it). It
// opens its own connection to the vault with the raw key handed over in workerData (zeroed once the
// vault is open) and runs a PASSIVE checkpoint on a timer. A checkpoint with nothing to copy reads
// the WAL index and returns, so an idle vault costs next to nothing.
import { parentPort, workerData } from 'node:worker_threads';
import { openWorkerConnection } from './open';
import type { CheckpointReply, CheckpointStart } from './checkpointer';

const port = parentPort;
if (!port) throw new Error('db/checkpoint-worker.ts runs only as a worker thread');

const start = workerData as CheckpointStart;
const db = openWorkerConnection(start);
// It never writes, so it never checkpoints on a commit; only the timer below does.
db.pragma('wal_autocheckpoint = 0');

const reply = (m: CheckpointReply) => port.postMessage(m);
reply({ type: 'ready' });

setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    reply({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
}, start.everyMs);
