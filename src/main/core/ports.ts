// What the core needs from its host. Electron, the headless server, the CLI and tests each pass
// their own adapters; nothing in the core reaches for a global.
import type { Logger, Redactor } from '../logging';
import type { KeyStore } from '../profiles/keys';

/** Non-secret application preferences (electron-store in the app, conf headless). */
export interface SettingsStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export interface Clock {
  now(): Date;
}

export interface CoreDeps {
  dataDir: string;
  /** The OS keychain; absent in headless hosts. */
  keyStore?: KeyStore;
  settings: SettingsStore;
  clock: Clock;
  logger: Logger;
  /** Learns every secret the core handles so the log sink can scrub it. */
  redactor: Redactor;
  /** scrypt cost for passphrase wraps; defaults to the production parameters. */
  scryptParams?: { N: number; r: number; p: number };
}

export const systemClock: Clock = { now: () => new Date() };

export function memorySettings(): SettingsStore {
  const values = new Map<string, unknown>();
  return { get: (k) => values.get(k), set: (k, v) => void values.set(k, v) };
}
