// Typed failures of the OMI Developer API. Each kind maps onto the app's ErrorCode so a failed sync
// crosses IPC and the CLI like any other error, and carries what the relay needs to decide: retry
// later (transient), dead-letter (permanent), or pause everything (credentials).
import { AppError } from '../errors';
import type { ErrorCode } from '../../shared/result';

export type OmiErrorKind =
  'unauthorized' | 'forbidden' | 'not_found' | 'validation' | 'rate_limited' | 'server' | 'network' | 'timeout';

const CODES: Record<OmiErrorKind, ErrorCode> = {
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  not_found: 'NOT_FOUND',
  validation: 'VALIDATION',
  rate_limited: 'RATE_LIMITED',
  server: 'UNAVAILABLE',
  network: 'UNAVAILABLE',
  timeout: 'TIMEOUT',
};

export class OmiApiError extends AppError {
  constructor(
    readonly kind: OmiErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(CODES[kind], message, options);
    this.name = 'OmiApiError';
  }

  /** Worth trying again later: the request may succeed unchanged. */
  get transient(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server' || this.kind === 'network' || this.kind === 'timeout';
  }

  /** The key is wrong or lacks a scope: nothing will succeed until the user fixes the setting. */
  get credentials(): boolean {
    return this.kind === 'unauthorized' || this.kind === 'forbidden';
  }
}

export function errorKindForStatus(status: number): OmiErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'validation';
}
