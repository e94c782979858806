// OMI's optional delivery signature: `X-Omi-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` where
// v1 = hex(HMAC-SHA256(secret, "<t>.<uid>." + rawBody)). Several v1 values let a sender rotate its
// secret without a gap. The timestamp must be within 300 s of our clock (either direction) so a
// captured delivery cannot be replayed later. Comparison is constant-time over the raw bytes.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_WINDOW_S = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'mismatch' };

export function parseSignatureHeader(header: string): { t: number; v1: string[] } | undefined {
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return undefined;
      v1.push(value.toLowerCase());
    }
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

export function signPayload(secret: string, t: number, uid: string, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(`${t}.${uid}.`).update(rawBody).digest('hex');
}

export function verifySignature(
  header: string,
  secrets: readonly string[],
  uid: string,
  rawBody: Buffer,
  nowSeconds: number,
): SignatureCheck {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - parsed.t) > SIGNATURE_WINDOW_S) return { ok: false, reason: 'expired' };
  let match = false;
  // Check every pair without an early exit, so timing says nothing about which one matched.
  for (const secret of secrets) {
    const expected = Buffer.from(signPayload(secret, parsed.t, uid, rawBody), 'hex');
    for (const given of parsed.v1) {
      if (timingSafeEqual(expected, Buffer.from(given, 'hex'))) match = true;
    }
  }
  return match ? { ok: true } : { ok: false, reason: 'mismatch' };
}
