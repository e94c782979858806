// Master-key wrapping. Each vault has one random 256-bit master key that opens its database raw; it
// is stored only wrapped (AES-256-GCM, the profile id as associated data so a wrap cannot be moved to
// another profile) under one or more key-encryption keys:
//   - a passphrase, stretched with scrypt (N=2^17, r=8: ~128 MiB, a few hundred ms, once per unlock);
//   - the OS keychain (Electron safeStorage) through the KeyStore port;
//   - a recovery key, 256 random bits shown once at creation. It is already full-entropy, so HKDF
//     (not a slow KDF) derives its wrapping key.
// A wrong passphrase or recovery key fails the GCM tag check before the database is touched.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors';

const b64 = z.base64();

export const SealedKey = z.object({ iv: b64, tag: b64, ct: b64 });
export type SealedKey = z.infer<typeof SealedKey>;

export const PassphraseWrap = SealedKey.extend({
  kdf: z.literal('scrypt'),
  N: z.number().int().positive(),
  r: z.number().int().positive(),
  p: z.number().int().positive(),
  salt: b64,
});
export type PassphraseWrap = z.infer<typeof PassphraseWrap>;

export const RecoveryWrap = SealedKey.extend({ kdf: z.literal('hkdf-sha256'), salt: b64 });
export type RecoveryWrap = z.infer<typeof RecoveryWrap>;

export const KeychainWrap = z.object({ backend: z.string(), blob: b64 });
export type KeychainWrap = z.infer<typeof KeychainWrap>;

/**
 * The OS keychain port. Electron's safeStorage adapter implements it in src/main/app; headless hosts
 * have none. `backend()` names the secret store (on Linux: gnome_libsecret, kwallet*, basic_text).
 */
export interface KeyStore {
  isAvailable(): Promise<boolean>;
  backend(): Promise<string>;
  encrypt(plaintext: string): Promise<Buffer>;
  /** `shouldReEncrypt`: the blob was written under an older key; write the key again. */
  decrypt(ciphertext: Buffer): Promise<{ plaintext: string; shouldReEncrypt: boolean }>;
}

/** Linux's basic_text backend encrypts with a hard-coded password: no protection at all. */
export const INSECURE_BACKENDS = new Set(['basic_text']);

export const SCRYPT_PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;

export function newMasterKey(): Buffer {
  return randomBytes(32);
}

function seal(kek: Buffer, plaintext: Buffer, aad: string): SealedKey {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ct: ct.toString('base64'),
  };
}

function open(kek: Buffer, sealed: SealedKey, aad: string, what: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
  } catch {
    throw new AppError('WRONG_KEY', `wrong ${what}`);
  }
}

function scryptKek(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }) {
  return new Promise<Buffer>((resolve, reject) => {
    // Node's default maxmem (32 MiB) is below what N=2^17, r=8 needs (128 MiB).
    const maxmem = 256 * params.N * params.r;
    scrypt(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function wrapWithPassphrase(
  masterKey: Buffer,
  passphrase: string,
  profileId: string,
  params: { N: number; r: number; p: number } = SCRYPT_PARAMS,
): Promise<PassphraseWrap> {
  const salt = randomBytes(16);
  const kek = await scryptKek(passphrase, salt, params);
  return { kdf: 'scrypt', ...params, salt: salt.toString('base64'), ...seal(kek, masterKey, profileId) };
}

export async function unwrapWithPassphrase(
  wrap: PassphraseWrap,
  passphrase: string,
  profileId: string,
): Promise<Buffer> {
  const kek = await scryptKek(passphrase, Buffer.from(wrap.salt, 'base64'), wrap);
  return open(kek, wrap, profileId, 'passphrase');
}

// Recovery keys are shown as 8 groups of 8 hex digits; input is forgiving about case and separators.
export function newRecoveryKey(): string {
  return (randomBytes(32).toString('hex').match(/.{8}/g) ?? []).join('-').toUpperCase();
}

function parseRecoveryKey(text: string): Buffer {
  const hex = text.replace(/[\s-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new AppError('BAD_INPUT', 'a recovery key is 64 hexadecimal digits (dashes optional)');
  }
  return Buffer.from(hex, 'hex');
}

function recoveryKek(recoveryKey: string, salt: Buffer): Buffer {
  const ikm = parseRecoveryKey(recoveryKey);
  return Buffer.from(hkdfSync('sha256', ikm, salt, 'angel-memory recovery wrap', 32));
}

export function wrapWithRecoveryKey(masterKey: Buffer, recoveryKey: string, profileId: string): RecoveryWrap {
  const salt = randomBytes(16);
  const kek = recoveryKek(recoveryKey, salt);
  return { kdf: 'hkdf-sha256', salt: salt.toString('base64'), ...seal(kek, masterKey, profileId) };
}

export function unwrapWithRecoveryKey(wrap: RecoveryWrap, recoveryKey: string, profileId: string): Buffer {
  return open(recoveryKek(recoveryKey, Buffer.from(wrap.salt, 'base64')), wrap, profileId, 'recovery key');
}

async function secureBackend(keyStore: KeyStore | undefined): Promise<{ store: KeyStore; backend: string }> {
  if (!keyStore || !(await keyStore.isAvailable())) {
    throw new AppError('KEYSTORE_UNAVAILABLE', 'no OS keychain is available; protect the vault with a passphrase');
  }
  const backend = await keyStore.backend();
  if (INSECURE_BACKENDS.has(backend)) {
    throw new AppError(
      'KEYSTORE_UNAVAILABLE',
      `the OS keychain backend "${backend}" stores secrets with a fixed password; use a passphrase instead`,
    );
  }
  return { store: keyStore, backend };
}

export async function wrapWithKeychain(masterKey: Buffer, keyStore: KeyStore | undefined): Promise<KeychainWrap> {
  const { store, backend } = await secureBackend(keyStore);
  const blob = await store.encrypt(masterKey.toString('hex'));
  return { backend, blob: blob.toString('base64') };
}

export async function unwrapWithKeychain(
  wrap: KeychainWrap,
  keyStore: KeyStore | undefined,
): Promise<{ key: Buffer; shouldReEncrypt: boolean }> {
  const { store, backend } = await secureBackend(keyStore);
  // A changed backend means the blob was written under other protection; say so rather than guess.
  if (backend !== wrap.backend) {
    throw new AppError(
      'KEYSTORE_UNAVAILABLE',
      `the OS keychain backend changed from "${wrap.backend}" to "${backend}"; unlock with the passphrase or recovery key`,
    );
  }
  let opened: { plaintext: string; shouldReEncrypt: boolean };
  try {
    opened = await store.decrypt(Buffer.from(wrap.blob, 'base64'));
  } catch (err) {
    throw new AppError('WRONG_KEY', 'the OS keychain could not decrypt this vault key', { cause: err });
  }
  if (!/^[0-9a-f]{64}$/.test(opened.plaintext)) {
    throw new AppError('WRONG_KEY', 'the OS keychain returned a malformed key');
  }
  return { key: Buffer.from(opened.plaintext, 'hex'), shouldReEncrypt: opened.shouldReEncrypt };
}
