// Structured logs: pino JSON lines, written on the main thread (no worker transports inside the
// bundle) to a size-rotated file under <dataDir>/logs. Two layers keep secrets out:
//   1. pino's `redact` censors fields whose names say they are secret;
//   2. every finished line passes through a Redactor that replaces any secret value the app has
//      handled (passphrases, keys, API tokens), wherever it appears: a message, an error's text, a URL.
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { createStream } from 'rotating-file-stream';

export type { Logger };

const CENSOR = '[redacted]';

export const REDACT_PATHS = [
  'passphrase',
  'recoveryKey',
  'masterKey',
  'apiKey',
  'secret',
  'token',
  'authorization',
  '*.passphrase',
  '*.recoveryKey',
  '*.masterKey',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.authorization',
  'headers.authorization',
  'credential.passphrase',
  'credential.recoveryKey',
];

export interface Redactor {
  /** Remember a secret value; it is scrubbed from every later log line. */
  add(secret: string | Buffer): void;
  scrub(text: string): string;
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  return {
    add(secret) {
      const text = typeof secret === 'string' ? secret : secret.toString('hex');
      // Very short values would scrub ordinary words and protect nothing.
      if (text.length < 6) return;
      secrets.add(text);
      // The same value as it appears inside a JSON string.
      secrets.add(JSON.stringify(text).slice(1, -1));
    },
    scrub(text) {
      let out = text;
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join(CENSOR);
      return out;
    },
  };
}

export interface LogSink {
  logger: Logger;
  redactor: Redactor;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export interface LoggerOptions {
  dir: string;
  level?: string;
  redactor?: Redactor;
  /** Rotate when the file reaches this size (rotating-file-stream syntax). */
  size?: string;
  maxFiles?: number;
}

export function createFileLogger(options: LoggerOptions): LogSink {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const redactor = options.redactor ?? createRedactor();
  const file = createStream('angel-memory.log', {
    path: options.dir,
    size: options.size ?? '10M',
    maxFiles: options.maxFiles ?? 5,
    mode: 0o600,
  });
  const destination = { write: (line: string) => file.write(redactor.scrub(line)) };
  const logger = pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      base: { pid: process.pid },
    },
    destination,
  );
  return {
    logger,
    redactor,
    close: () => new Promise<void>((resolve) => file.end(() => resolve())),
  };
}

/** A logger that writes nowhere, for hosts and tests that do not need logs. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
