// The CLI's streams and the ways it takes input that must not travel on argv: passphrases (env or a
// file), and stdin for text, recovery keys and secret settings. Secrets typed on a terminal are read
// with echo off.
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { AppError } from '../errors';

export interface CliIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export const PASSPHRASE_ENV = 'ANGEL_MEMORY_PASSPHRASE';

// Far above any memory or key; stops a mistaken pipe from filling memory.
const MAX_STDIN_BYTES = 1024 * 1024;

/** The passphrase from --passphrase-file (an explicit flag wins) or ANGEL_MEMORY_PASSPHRASE. */
export function readPassphrase(env: NodeJS.ProcessEnv, file: string | undefined): string {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new AppError('BAD_INPUT', `cannot read the passphrase file ${file} (${reason})`);
    }
    // Files written by editors and `echo` end with a newline that is not part of the passphrase.
    const passphrase = text.replace(/[\r\n]+$/, '');
    if (!passphrase) throw new AppError('BAD_INPUT', `the passphrase file ${file} is empty`);
    return passphrase;
  }
  const fromEnv = env[PASSPHRASE_ENV];
  if (fromEnv) return fromEnv;
  throw new AppError(
    'BAD_INPUT',
    `a passphrase is needed: set ${PASSPHRASE_ENV} or pass --passphrase-file FILE (never on the command line)`,
  );
}

async function readAll(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_STDIN_BYTES) throw new AppError('BAD_INPUT', 'stdin is larger than 1 MiB');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads stdin to its end (Ctrl-D on a terminal), trimmed. */
export async function readText(io: CliIo, what: string): Promise<string> {
  if (io.stdin.isTTY) io.stderr.write(`Type the ${what}, then press Ctrl-D:\n`);
  const text = (await readAll(io.stdin)).trim();
  if (!text) throw new AppError('BAD_INPUT', `no ${what} on stdin`);
  return text;
}

/** Reads a secret: from a pipe to its end, from a terminal one line with echo off. */
export async function readSecret(io: CliIo, what: string): Promise<string> {
  const { stdin } = io;
  const text = stdin.isTTY && stdin.setRawMode ? await readHiddenLine(io, what) : await readAll(stdin);
  const secret = text.trim();
  if (!secret) throw new AppError('BAD_INPUT', `no ${what} on stdin`);
  return secret;
}

function readHiddenLine(io: CliIo, what: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(`${what[0]?.toUpperCase() ?? ''}${what.slice(1)}: `);
  stdin.setRawMode?.(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: AppError) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new AppError('BAD_INPUT', 'cancelled'));
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}
