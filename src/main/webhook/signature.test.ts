import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseSignatureHeader, signPayload, verifySignature } from './signature';

const secret = 'whsec_test_0123456789';
const body = Buffer.from('{"id":"c1","structured":{"title":"é"}}');
const now = 1_767_600_000;

describe('webhook signatures', () => {
  test('valid, tampered, expired, wrong uid and rotated signatures', () => {
    const sig = signPayload(secret, now, 'uid-1', body);
    expect(verifySignature(`t=${now},v1=${sig}`, [secret], 'uid-1', body, now + 10)).toEqual({ ok: true });
    expect(verifySignature(`t=${now},v1=${sig}`, [secret], 'uid-1', Buffer.from(`${body.toString()} `), now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature(`t=${now},v1=${sig}`, [secret], 'uid-2', body, now)).toMatchObject({ ok: false });
    expect(verifySignature(`t=${now},v1=${sig}`, [secret], 'uid-1', body, now + 301)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifySignature(`t=${now},v1=${sig}`, [secret], 'uid-1', body, now - 301)).toMatchObject({ ok: false });
    // Rotation: the sender signs with old and new secret; we know only the new one (or only the old).
    const oldSig = signPayload('whsec_old', now, 'uid-1', body);
    const header = `t=${now},v1=${oldSig},v1=${sig}`;
    expect(verifySignature(header, [secret], 'uid-1', body, now)).toEqual({ ok: true });
    expect(verifySignature(header, ['whsec_old'], 'uid-1', body, now)).toEqual({ ok: true });
    expect(verifySignature(header, ['whsec_other'], 'uid-1', body, now)).toMatchObject({ ok: false });
  });

  test('malformed headers are refused, never thrown', () => {
    for (const h of ['', 't=1', 'v1=abc', 't=x,v1=' + 'a'.repeat(64), 'garbage', `t=${now},v1=zz`]) {
      expect(verifySignature(h, [secret], 'u', body, now)).toEqual({ ok: false, reason: 'malformed' });
    }
    fc.assert(
      fc.property(fc.string(), (h) => {
        const r = verifySignature(h, [secret], 'u', body, now);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
    expect(parseSignatureHeader(`t=5, v1=${'A'.repeat(64)}`)).toEqual({ t: 5, v1: ['a'.repeat(64)] });
  });
});
