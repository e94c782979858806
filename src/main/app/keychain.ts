// The KeyStore port over Electron's safeStorage (the async API; the synchronous calls are deprecated
// in Electron 45). safeStorage is injected so this adapter runs in Node tests with a fake. The policy
// about which backends are acceptable (basic_text is a hard-coded password) lives in
// src/main/profiles/keys.ts; this file only reports the backend truthfully.
import type { SafeStorage } from 'electron';
import type { KeyStore } from '../profiles/keys';

export type SafeStorageLike = Pick<
  SafeStorage,
  'isAsyncEncryptionAvailable' | 'encryptStringAsync' | 'decryptStringAsync' | 'getSelectedStorageBackend'
>;

export interface KeychainOptions {
  platform?: NodeJS.Platform;
}

/** The backend name recorded with each keychain wrap: a change later is refused by the vault. */
export function backendName(safeStorage: Pick<SafeStorageLike, 'getSelectedStorageBackend'>, platform: string) {
  if (platform === 'darwin') return 'keychain';
  if (platform === 'win32') return 'dpapi';
  // getSelectedStorageBackend is documented for Linux; the BSDs run the same Chromium code path.
  return safeStorage.getSelectedStorageBackend();
}

export function createKeychain(safeStorage: SafeStorageLike, options: KeychainOptions = {}): KeyStore {
  const platform = options.platform ?? process.platform;
  const backend = () => backendName(safeStorage, platform);
  return {
    // 'unknown' means safeStorage was asked before app 'ready': recording it would make the wrap
    // look like a backend change on the next start, so it counts as not available yet.
    isAvailable: async () => (await safeStorage.isAsyncEncryptionAvailable()) && backend() !== 'unknown',
    backend: () => Promise.resolve(backend()),
    encrypt: (plaintext) => safeStorage.encryptStringAsync(plaintext),
    async decrypt(ciphertext) {
      // shouldReEncrypt: the blob was written under an older key; the vault wraps its key again.
      const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(ciphertext);
      return { plaintext: result, shouldReEncrypt };
    },
  };
}
