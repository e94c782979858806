// The renderer's one way to reach the main process. Types come from the IPC contract (through the
// bridge declared in src/preload/api.d.ts); a failed Result becomes a thrown ApiError carrying the
// code, so components use ordinary async/await and pick messages by code. The transport (Electron IPC
// through `window.angel`, or HTTP to the headless server, see transport.ts) is chosen once at
// start-up by main.tsx; nothing past this file can tell which one it is.
import type { AngelApi } from '../../preload/api';
import type { Channel, ChannelInput, ChannelOutput, EventName, EventPayload } from '../../shared/ipc/contract';
import type { ErrorCode } from '../../shared/result';

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let installed: AngelApi | undefined;

/** Called once at start-up with the transport selectTransport() chose. */
export function setTransport(transport: AngelApi | undefined): void {
  installed = transport;
}

function bridge(): AngelApi {
  const api = installed ?? (globalThis as { window?: Partial<Window> }).window?.angel;
  if (!api) throw new ApiError('INTERNAL', 'The Angel Memory bridge is missing: open this page from the app.');
  return api;
}

export async function call<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
  const result = await bridge().invoke(channel, input);
  if (result.ok) return result.value;
  throw new ApiError(result.error.code, result.error.message);
}

export function subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return bridge().on(event, listener);
}

// What the user reads for each code. A Record, so a new code in the shared union is a compile error
// here until it has a message. `null` means the main process's message is already written for people.
const MESSAGES: Record<ErrorCode, string | null> = {
  BAD_INPUT: null,
  VALIDATION: null,
  NOT_FOUND: null,
  CONFLICT: null,
  KEYSTORE_UNAVAILABLE: null,
  WRONG_KEY: 'Wrong passphrase',
  LOCKED: 'This profile is locked. Unlock it to continue.',
  DB_FROM_FUTURE: 'This vault was written by a newer version of Angel Memory. Update the app to open it.',
  DB_CORRUPT: 'This vault file is damaged and could not be opened.',
  UNAUTHORIZED: 'This request was not authorized.',
  FORBIDDEN: 'This request was refused.',
  METHOD_NOT_ALLOWED: null,
  UNSUPPORTED_MEDIA_TYPE: null,
  TOO_LARGE: 'That is too large.',
  RATE_LIMITED: 'Too many requests. Try again in a moment.',
  TIMEOUT: 'The operation took too long. Try again.',
  UNAVAILABLE: 'A service Angel Memory needs could not be reached. Try again in a moment.',
  INTERNAL: 'Something went wrong. The details are in the log.',
};

/** A sentence for the user; `overrides` lets a screen say e.g. "Wrong recovery key" for WRONG_KEY. */
export function describeError(err: unknown, overrides: Partial<Record<ErrorCode, string>> = {}): string {
  if (!(err instanceof ApiError)) return MESSAGES.INTERNAL ?? 'Something went wrong.';
  const text = overrides[err.code] ?? MESSAGES[err.code] ?? err.message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
