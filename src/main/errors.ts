// The one error class thrown inside the main process. Boundaries (IPC, HTTP, CLI) turn it into a
// Result or an exit status; anything else that escapes is reported as INTERNAL without its message,
// which could carry data we did not mean to show.
import type { ErrorCode, ErrorInfo } from '../shared/result';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'internal error (see the log for details)' };
}
