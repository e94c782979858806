// Deliveries for a locked profile. The listener cannot open the vault, so it seals each accepted
// delivery with age to the profile's X25519 recipient (public, in profile.json) and writes it to
// <profile>/spool/. Only the identity inside the encrypted database can open it, so no plaintext
// touches disk. On unlock the spool is drained in arrival order; a file is removed only after its
// delivery is committed, and a re-run after a crash is absorbed by the idempotency key.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { Decrypter, Encrypter } from 'age-encryption';
import { z } from 'zod';
import { WEBHOOK_KINDS, type RawDelivery } from './ingest';

const Envelope = z.object({
  v: z.literal(1),
  kind: z.enum(WEBHOOK_KINDS),
  uid: z.string().nullable(),
  sessionId: z.string().nullable(),
  sampleRate: z.number().nullable(),
  idempotencyHeader: z.string().nullable(),
  signature: z.string().nullable(),
  receivedAt: z.string(),
  body: z.base64(),
});

let sequence = 0;

function writeDurably(dir: string, name: string, bytes: Uint8Array): void {
  const tmp = join(dir, `.${name}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export async function sealToSpool(dir: string, recipient: string, d: RawDelivery): Promise<string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const envelope: z.input<typeof Envelope> = { v: 1, ...d, body: d.body.toString('base64') };
  const e = new Encrypter();
  e.addRecipient(recipient);
  const sealed = await e.encrypt(JSON.stringify(envelope));
  // Names sort in arrival order: milliseconds, then a per-process sequence.
  const name = `${Date.parse(d.receivedAt).toString().padStart(15, '0')}-${process.pid}-${(sequence++).toString().padStart(9, '0')}.age`;
  writeDurably(dir, name, sealed);
  return name;
}

export function spooledFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => n.endsWith('.age') && !n.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

export async function openSpooled(dir: string, name: string, identity: string): Promise<RawDelivery> {
  const d = new Decrypter();
  d.addIdentity(identity);
  const text = await d.decrypt(readFileSync(join(dir, name)), 'text');
  const { v: _v, body, ...rest } = Envelope.parse(JSON.parse(text));
  return { ...rest, kind: rest.kind, body: Buffer.from(body, 'base64') };
}

export function removeSpooled(dir: string, name: string): void {
  unlinkSync(join(dir, name));
}
