// Entry of the `angel-memory` command, built to out/main/cli.js and started by bin/angel-memory.
// runCli closes the vaults and flushes the log before it resolves, so setting exitCode (rather than
// calling process.exit) lets pending stdout writes drain.
import { runCli } from './run';

// A reader that goes away (`| head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

void runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
