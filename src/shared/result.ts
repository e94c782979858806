// The error vocabulary shared by every boundary (IPC, HTTP, CLI). Codes are a closed union so a host
// can map each one (the CLI maps them to exit statuses) and the compiler notices a new one.

export const ERROR_CODES = [
  'BAD_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'WRONG_KEY',
  'LOCKED',
  'KEYSTORE_UNAVAILABLE',
  'DB_FROM_FUTURE',
  'DB_CORRUPT',
  'VALIDATION',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_LARGE',
  'RATE_LIMITED',
  'TIMEOUT',
  // An upstream service (OMI) failed or could not be reached; the work is kept and retried.
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});
