// The archive worker thread (bundled as out/main/archive-worker.js; pool.ts starts it). It runs the
// import jobs it is sent, one at a time, on its own connection to the vault, and posts progress and
// the outcome back. Everything heavy in an import (decryption, inflating, hashing, JSON and zod for
// every line, the apply transaction) happens here, so the main thread's event loop stays free.
import { parentPort } from 'node:worker_threads';
import { runImportJob, toWire, type WorkerReply, type WorkerRequest } from './job';

const port = parentPort;
if (!port) throw new Error('archive/worker.ts runs only as a worker thread');

const reply = (m: WorkerReply) => port.postMessage(m);

port.on('message', (req: WorkerRequest) => {
  runImportJob(req.job, (progress) => reply({ id: req.id, type: 'progress', progress })).then(
    (report) => reply({ id: req.id, type: 'done', report }),
    (err: unknown) => reply({ id: req.id, type: 'failed', error: toWire(err) }),
  );
});
