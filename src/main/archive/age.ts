// age encryption of whole archives (https://age-encryption.org/v1), so an `.angelmem.age` file opens
// with the standard `age -d` tool. Two ways in:
//   - a passphrase (age's scrypt recipient), for archives a person carries around;
//   - the profile's own X25519 recipient, for automatic backups (see backups.ts).
// age-encryption's built-in scrypt recipient runs a pure-JS scrypt synchronously, which would block
// the event loop for seconds at the default work factor (2^18). These stanzas are byte-for-byte the
// same format but derive the key with Node's scrypt on the libuv thread pool.
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { Readable } from 'node:stream';
import { Decrypter, Encrypter, Stanza, type Identity, type Recipient } from 'age-encryption';
import { AGE_MAGIC, ArchiveError } from './format';

/** age's default work factor; tests pass a lower one. */
export const DEFAULT_WORK_FACTOR = 18;
/** A file asking for more than this is refused rather than allowed to pin CPU and 1 GiB of memory. */
const MAX_WORK_FACTOR = 20;
const LABEL = Buffer.from('age-encryption.org/v1/scrypt');

const b64nopad = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');

function deriveKey(passphrase: string, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    scrypt(passphrase, Buffer.concat([LABEL, salt]), 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

const ZERO_NONCE = Buffer.alloc(12);

class ScryptRecipient implements Recipient {
  constructor(
    private readonly passphrase: string,
    private readonly logN: number,
  ) {}

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const salt = randomBytes(16);
    const key = await deriveKey(this.passphrase, salt, this.logN);
    const cipher = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
    const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
    return [new Stanza(['scrypt', b64nopad(salt), String(this.logN)], body)];
  }
}

class ScryptIdentity implements Identity {
  constructor(private readonly passphrase: string) {}

  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    const s = stanzas.find((x) => x.args[0] === 'scrypt');
    if (!s) return null;
    if (stanzas.length !== 1 || s.args.length !== 3 || !/^[1-9]\d?$/.test(s.args[2] ?? '') || s.body.length !== 32) {
      throw new ArchiveError('BAD_ZIP', 'the age header has an invalid scrypt stanza');
    }
    const logN = Number(s.args[2]);
    if (logN > MAX_WORK_FACTOR) {
      throw new ArchiveError('BAD_ZIP', `the age scrypt work factor 2^${logN} is above the limit 2^${MAX_WORK_FACTOR}`);
    }
    const salt = Buffer.from(s.args[1] ?? '', 'base64');
    if (salt.length !== 16) throw new ArchiveError('BAD_ZIP', 'the age header has an invalid scrypt salt');
    const key = await deriveKey(this.passphrase, salt, logN);
    try {
      const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: 16 });
      d.setAuthTag(s.body.subarray(16));
      return Buffer.concat([d.update(s.body.subarray(0, 16)), d.final()]);
    } catch {
      return null;
    }
  }
}

export type AgeKey =
  { kind: 'passphrase'; passphrase: string; workFactor?: number } | { kind: 'recipient'; recipient: string };

/** Encrypts a byte stream as it flows; memory stays at one 64 KiB age chunk. */
export async function encryptStream(source: Readable, key: AgeKey): Promise<Readable> {
  const e = new Encrypter();
  if (key.kind === 'passphrase') {
    e.addRecipient(new ScryptRecipient(key.passphrase, key.workFactor ?? DEFAULT_WORK_FACTOR));
  } else {
    e.addRecipient(key.recipient);
  }
  const web = Readable.toWeb(source) as unknown as ReadableStream<Uint8Array>;
  const encrypted = await e.encrypt(web);
  // age-encryption's stream type and @types/node's differ only in the buffer type parameter.
  return Readable.fromWeb(encrypted as unknown as Parameters<typeof Readable.fromWeb>[0]);
}

export const isAgeFile = (head: Uint8Array) =>
  head.length >= AGE_MAGIC.length && Buffer.from(head.subarray(0, AGE_MAGIC.length)).toString('latin1') === AGE_MAGIC;

/**
 * Decrypts a whole age file into memory. The zip inside needs random access (its directory is at
 * the end), and writing the plaintext to a temporary file would put it on disk unencrypted.
 */
export async function decryptBuffer(
  file: Uint8Array,
  key: { passphrase?: string; identity?: string },
): Promise<Buffer> {
  const d = new Decrypter();
  if (key.passphrase !== undefined) d.addIdentity(new ScryptIdentity(key.passphrase));
  if (key.identity !== undefined) d.addIdentity(key.identity);
  try {
    return Buffer.from(await d.decrypt(file));
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/no identity matched/i.test(message)) {
      throw new ArchiveError(
        'WRONG_PASSPHRASE',
        key.passphrase !== undefined ? 'wrong archive passphrase' : 'this backup was made for another profile',
      );
    }
    throw new ArchiveError('TRUNCATED', `the encrypted archive is damaged or incomplete (${message})`);
  }
}
