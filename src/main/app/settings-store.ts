// The core's SettingsStore port over electron-store (a `conf` store underneath). Only non-secret
// preferences live here (last profile, window state); secrets stay in the encrypted database.
// The store is injected so this file runs in Node tests without Electron; index.ts builds the real one.
import type { SettingsStore } from '../core/ports';

/** The part of electron-store / conf this adapter uses. */
export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/**
 * Options for electron-store: the file sits in the data dir (so ANGEL_MEMORY_HOME isolates it too),
 * is private to the user, and keys are taken literally ("window.bounds" is one key, not a path).
 */
export function electronStoreOptions(dataDir: string) {
  return {
    name: 'app-settings',
    cwd: dataDir,
    accessPropertiesByDotNotation: false,
    configFileMode: 0o600,
    // A hand-edited, unreadable file costs the user a few preferences, not a failed start.
    clearInvalidConfig: true,
  } as const;
}

export function createSettingsStore(store: KeyValueStore): SettingsStore {
  return {
    get: (key) => store.get(key),
    set(key, value) {
      // conf rejects undefined ("use delete()"); for the core, setting undefined means forgetting.
      if (value === undefined) store.delete(key);
      else store.set(key, value);
    },
  };
}
