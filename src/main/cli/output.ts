// What the CLI writes and how it exits: one JSON document on stdout with --json, concise text
// otherwise; errors on stderr as `error <CODE>: <message>` or {"error":{code,message}}; exit codes
// 0 ok, 1 failure, 2 usage, 3 wrong key or locked (DESIGN.md §11).
import type { ErrorCode, ErrorInfo, Result } from '../../shared/result';
import { AppError } from '../errors';
import type { CliIo } from './io';

export const EXIT = { ok: 0, failure: 1, usage: 2, key: 3 } as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'BAD_INPUT':
      return EXIT.usage;
    case 'WRONG_KEY':
    case 'LOCKED':
      return EXIT.key;
    default:
      return EXIT.failure;
  }
}

export interface Output {
  readonly json: boolean;
  /** Prints a command's result: `value` as JSON, or the text `human` makes of it. */
  result<T>(value: T, human: (value: T) => string): void;
  error(info: ErrorInfo): void;
}

export function createOutput(io: CliIo, json: boolean): Output {
  return {
    json,
    result(value, human) {
      const text = json ? JSON.stringify(value, null, 2) : human(value);
      io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    error(info) {
      io.stderr.write(json ? `${JSON.stringify({ error: info })}\n` : `error ${info.code}: ${info.message}\n`);
    },
  };
}

/** Unwraps a core Result; a failure travels as an AppError to the one place that reports it. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new AppError(result.error.code, result.error.message);
  return result.value;
}
