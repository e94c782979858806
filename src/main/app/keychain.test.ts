// The safeStorage adapter end to end: a fake safeStorage that really encrypts (AES-256-GCM under a
// fixed key, like an OS keychain's per-user key) drives a real core over a real encrypted vault.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCore, must, tempDir, type TestCore } from '../../../test/support/core';
import { readProfiles } from '../profiles/registry';
import { createKeychain, type SafeStorageLike } from './keychain';

type Backend = ReturnType<SafeStorageLike['getSelectedStorageBackend']>;

const TEST_KEY = Buffer.alloc(32, 7);

function fakeSafeStorage(initial: Backend, options: { available?: boolean } = {}) {
  const state = { backend: initial, available: options.available ?? true, shouldReEncrypt: false, decrypts: 0 };
  const safeStorage: SafeStorageLike = {
    isAsyncEncryptionAvailable: () => Promise.resolve(state.available),
    getSelectedStorageBackend: () => state.backend,
    encryptStringAsync(plainText) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', TEST_KEY, iv);
      const ct = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
      return Promise.resolve(Buffer.concat([iv, cipher.getAuthTag(), ct]));
    },
    decryptStringAsync(encrypted) {
      state.decrypts += 1;
      const decipher = createDecipheriv('aes-256-gcm', TEST_KEY, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      try {
        const result = Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
        return Promise.resolve({ result, shouldReEncrypt: state.shouldReEncrypt });
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
  return { safeStorage, state };
}

describe('createKeychain', () => {
  it('names the backend per platform', async () => {
    const { safeStorage } = fakeSafeStorage('kwallet6');
    expect(await createKeychain(safeStorage, { platform: 'linux' }).backend()).toBe('kwallet6');
    expect(await createKeychain(safeStorage, { platform: 'darwin' }).backend()).toBe('keychain');
    expect(await createKeychain(safeStorage, { platform: 'win32' }).backend()).toBe('dpapi');
  });

  it('is unavailable when safeStorage says so, or before app ready (backend "unknown")', async () => {
    expect(
      await createKeychain(fakeSafeStorage('gnome_libsecret').safeStorage, { platform: 'linux' }).isAvailable(),
    ).toBe(true);
    const off = fakeSafeStorage('gnome_libsecret', { available: false });
    expect(await createKeychain(off.safeStorage, { platform: 'linux' }).isAvailable()).toBe(false);
    const early = fakeSafeStorage('unknown');
    expect(await createKeychain(early.safeStorage, { platform: 'linux' }).isAvailable()).toBe(false);
    // macOS and Windows have no backend selection; 'unknown' there is Linux's answer, not theirs.
    expect(await createKeychain(early.safeStorage, { platform: 'darwin' }).isAvailable()).toBe(true);
  });

  it('round-trips through real encryption and reports shouldReEncrypt', async () => {
    const fake = fakeSafeStorage('gnome_libsecret');
    const keychain = createKeychain(fake.safeStorage, { platform: 'linux' });
    const blob = await keychain.encrypt('0123456789abcdef');
    expect(blob.toString('utf8')).not.toContain('0123456789abcdef');
    expect(await keychain.decrypt(blob)).toEqual({ plaintext: '0123456789abcdef', shouldReEncrypt: false });
    fake.state.shouldReEncrypt = true;
    expect(await keychain.decrypt(blob)).toEqual({ plaintext: '0123456789abcdef', shouldReEncrypt: true });
  });
});

describe('keychain-protected profiles through the core', () => {
  let dir: ReturnType<typeof tempDir>;
  let t: TestCore | undefined;

  beforeEach(() => {
    dir = tempDir();
  });

  afterEach(async () => {
    await t?.close();
    t = undefined;
    dir.remove();
  });

  function coreWith(backend: Backend) {
    const fake = fakeSafeStorage(backend);
    t = makeCore(dir.path, { keyStore: createKeychain(fake.safeStorage, { platform: 'linux' }) });
    return { core: t.core, fake };
  }

  it('refuses basic_text: KEYSTORE_UNAVAILABLE and no profile left behind', async () => {
    const { core } = coreWith('basic_text');
    const result = await core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'keychain' } });
    expect(result).toMatchObject({ ok: false, error: { code: 'KEYSTORE_UNAVAILABLE' } });
    expect(must(await core.invoke('profiles.list', {}))).toEqual([]);
    expect(readProfiles(dir.path)).toEqual([]);
  });

  it('refuses when safeStorage is unavailable', async () => {
    const { core, fake } = coreWith('gnome_libsecret');
    fake.state.available = false;
    const result = await core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'keychain' } });
    expect(result).toMatchObject({ ok: false, error: { code: 'KEYSTORE_UNAVAILABLE' } });
  });

  it('with gnome_libsecret: create, lock, unlock with the keychain, data intact', async () => {
    const { core, fake } = coreWith('gnome_libsecret');
    const created = must(await core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'keychain' } }));
    expect(created.profile.protection).toEqual(['keychain', 'recovery']);
    const profileId = created.profile.id;
    must(await core.invoke('memories.create', { profileId, content: 'Remember the milk' }));

    // The wrap records the backend and holds no plaintext key.
    const [file] = readProfiles(dir.path);
    expect(file?.keys.keychain?.backend).toBe('gnome_libsecret');
    expect(file?.keys.passphrase).toBeUndefined();

    must(await core.invoke('profiles.lock', { profileId }));
    expect(must(await core.invoke('profiles.list', {}))[0]?.locked).toBe(true);
    const unlocked = must(await core.invoke('profiles.unlock', { profileId, credential: { kind: 'keychain' } }));
    expect(unlocked.locked).toBe(false);
    expect(fake.state.decrypts).toBe(1);
    const listed = must(await core.invoke('memories.list', { profileId }));
    expect(listed.items.map((m) => m.content)).toEqual(['Remember the milk']);
  });

  it('wraps the vault key again when the keychain asks for it', async () => {
    const { core, fake } = coreWith('gnome_libsecret');
    const created = must(await core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'keychain' } }));
    const profileId = created.profile.id;
    must(await core.invoke('profiles.lock', { profileId }));
    const before = readProfiles(dir.path)[0]?.keys.keychain?.blob;

    fake.state.shouldReEncrypt = true;
    must(await core.invoke('profiles.unlock', { profileId, credential: { kind: 'keychain' } }));
    const after = readProfiles(dir.path)[0]?.keys.keychain?.blob;
    expect(after).toBeDefined();
    expect(after).not.toBe(before);

    // The renewed wrap opens the vault.
    fake.state.shouldReEncrypt = false;
    must(await core.invoke('profiles.lock', { profileId }));
    must(await core.invoke('profiles.unlock', { profileId, credential: { kind: 'keychain' } }));
    expect(readProfiles(dir.path)[0]?.keys.keychain?.blob).toBe(after);
  });

  it('refuses a changed backend, and the recovery key still opens the vault', async () => {
    const { core, fake } = coreWith('gnome_libsecret');
    const created = must(await core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'keychain' } }));
    const profileId = created.profile.id;
    must(await core.invoke('profiles.lock', { profileId }));

    fake.state.backend = 'kwallet5';
    const changed = await core.invoke('profiles.unlock', { profileId, credential: { kind: 'keychain' } });
    expect(changed).toMatchObject({ ok: false, error: { code: 'KEYSTORE_UNAVAILABLE' } });
    if (!changed.ok) expect(changed.error.message).toContain('gnome_libsecret');
    expect(fake.state.decrypts).toBe(0);

    // Falling back to basic_text is a change too, and an insecure one.
    fake.state.backend = 'basic_text';
    const insecure = await core.invoke('profiles.unlock', { profileId, credential: { kind: 'keychain' } });
    expect(insecure).toMatchObject({ ok: false, error: { code: 'KEYSTORE_UNAVAILABLE' } });

    const recovered = await core.invoke('profiles.unlock', {
      profileId,
      credential: { kind: 'recovery', recoveryKey: created.recoveryKey },
    });
    expect(recovered).toMatchObject({ ok: true, value: { locked: false } });
  });

  it('a blob the keychain cannot decrypt is WRONG_KEY', async () => {
    const { core } = coreWith('gnome_libsecret');
    const created = must(await core.invoke('profiles.create', { name: 'Ada', protection: { kind: 'keychain' } }));
    must(await core.invoke('profiles.lock', { profileId: created.profile.id }));
    await t?.close();

    // Same data dir, a keychain whose per-user key differs (another OS account, a reset keyring).
    const other = fakeSafeStorage('gnome_libsecret');
    const otherKey = Buffer.alloc(32, 9);
    other.safeStorage.decryptStringAsync = (encrypted) => {
      const decipher = createDecipheriv('aes-256-gcm', otherKey, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Promise.resolve().then(() => ({
        result: Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8'),
        shouldReEncrypt: false,
      }));
    };
    t = makeCore(dir.path, { keyStore: createKeychain(other.safeStorage, { platform: 'linux' }) });
    const result = await t.core.invoke('profiles.unlock', {
      profileId: created.profile.id,
      credential: { kind: 'keychain' },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'WRONG_KEY' } });
  });
});
