// An independent decryptor for age v1 passphrase files (https://age-encryption.org/v1), written from
// the specification with node:crypto only. Decrypting our archives with it shows that the standard
// `age -d` tool, which implements the same specification, opens them.
import { createDecipheriv, createHmac, hkdfSync, scryptSync } from 'node:crypto';

const b64 = (s: string) => Buffer.from(s, 'base64');

function chacha(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
}

export function ageDecryptWithPassphrase(file: Buffer, passphrase: string): Buffer {
  const headerEnd = file.indexOf('\n---') + 1;
  const macLineEnd = file.indexOf('\n', headerEnd);
  const lines = file.subarray(0, headerEnd).toString('latin1').split('\n').slice(0, -1);
  if (lines[0] !== 'age-encryption.org/v1') throw new Error('not an age v1 file');
  const stanza = lines[1]!.split(' ');
  if (stanza[0] !== '->' || stanza[1] !== 'scrypt' || lines.length !== 3) throw new Error('expected one scrypt stanza');
  const salt = b64(stanza[2]!);
  const logN = Number(stanza[3]);
  const N = 2 ** logN;
  const key = scryptSync(passphrase, Buffer.concat([Buffer.from('age-encryption.org/v1/scrypt'), salt]), 32, {
    N,
    r: 8,
    p: 1,
    maxmem: 256 * N * 8,
  });
  const fileKey = chacha(key, Buffer.alloc(12), b64(lines[2]!));
  // The header MAC covers everything up to and including "---".
  const macKey = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32));
  const mac = createHmac('sha256', macKey)
    .update(file.subarray(0, headerEnd + 3))
    .digest();
  const given = b64(file.subarray(headerEnd + 4, macLineEnd).toString('latin1'));
  if (!mac.equals(given)) throw new Error('header MAC mismatch');
  const nonce = file.subarray(macLineEnd + 1, macLineEnd + 17);
  const payloadKey = Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
  const body = file.subarray(macLineEnd + 17);
  const CHUNK = 64 * 1024 + 16;
  const out: Buffer[] = [];
  for (let i = 0, off = 0; off < body.length; i++, off += CHUNK) {
    const last = off + CHUNK >= body.length;
    const n = Buffer.alloc(12);
    n.writeBigUInt64BE(BigInt(i), 3);
    n[11] = last ? 1 : 0;
    out.push(chacha(payloadKey, n, body.subarray(off, off + CHUNK)));
  }
  return Buffer.concat(out);
}
