// The search worker thread (bundled as out/main/search-worker.js; ranker.ts starts it). It holds its
// own read connection to the vault and ranks the keyword matches of the kinds it is sent (rankKind,
// the same code the main thread runs), so one query's kinds are ranked on two cores at once.
import { parentPort, workerData } from 'node:worker_threads';
import { openWorkerConnection } from '../db/open';
import { KINDS, rankKind, useSearchCache } from './keyword';
import type { RankerReply, RankerRequest, RankerStart } from './ranker';

const port = parentPort;
if (!port) throw new Error('search/worker.ts runs only as a worker thread');

const start = workerData as RankerStart;
const db = openWorkerConnection(start);
useSearchCache(db);
db.pragma('query_only = ON');

const reply = (m: RankerReply) => port.postMessage(m);
reply({ type: 'ready' });

port.on('message', (req: RankerRequest) => {
  try {
    const k = KINDS.find((x) => x.kind === req.kind);
    if (!k) throw new Error(`no such kind: ${req.kind}`);
    reply({ type: 'ranked', id: req.id, result: rankKind(db, k, req.q, req.where, req.want, req.cap) });
  } catch (err) {
    reply({ type: 'failed', id: req.id, message: err instanceof Error ? err.message : String(err) });
  }
});
