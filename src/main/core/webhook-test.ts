// "Send test delivery": posts one small, clearly labelled realtime-transcript delivery to a profile's
// own webhook URL, the way OMI would, and reports what came back. `local` goes straight to the
// running listener on loopback; `tunnel` goes to https://<webhook.tunnelHost>, so it proves the
// whole path OMI takes. The delivery carries its own idempotency key, which is how the inbox row it
// created is found afterwards. The secret is part of the URL: it never appears in the result, and
// any error text that might echo the URL is scrubbed of it.
import { randomUUID } from 'node:crypto';
import type { WebhookTestResult } from '../../shared/models';
import { AppError } from '../errors';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { readSetting } from '../db/repos/settings';
import type { Fetch } from '../sync/client';
import { signPayload } from '../webhook/signature';

export const TEST_DELIVERY_TIMEOUT_MS = 10_000;
/** The session id of every test delivery: the live view shows them apart from real ones. */
export const TEST_SESSION_ID = 'angel-memory-test';
const KEY_PREFIX = 'angel-memory-test:';

export interface WebhookTestInput {
  db: Db;
  /** http://127.0.0.1:<listening port>/omi/<secret> */
  localBase: string;
  secret: string;
  via: 'local' | 'tunnel';
  fetch: Fetch;
  now(): Date;
  timeoutMs?: number;
}

function text(db: Db, key: string): string | null {
  const v = readSetting(db, key);
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** The URL a test delivery goes to; throws BAD_INPUT when the tunnel host is not set. */
export function testDeliveryUrl(db: Db, localBase: string, via: 'local' | 'tunnel'): string {
  const uid = text(db, 'omi.uid') ?? 'test';
  let base = localBase;
  if (via === 'tunnel') {
    const host = text(db, 'webhook.tunnelHost');
    if (!host) throw new AppError('BAD_INPUT', 'set the tunnel host (webhook.tunnelHost) first');
    base = `https://${host}${new URL(localBase).pathname}`;
  }
  return `${base}/transcript?uid=${encodeURIComponent(uid)}`;
}

export async function sendTestDelivery(input: WebhookTestInput): Promise<WebhookTestResult> {
  const { db, secret } = input;
  const url = testDeliveryUrl(db, input.localBase, input.via);
  const key = `${KEY_PREFIX}${randomUUID()}`;
  const at = input.now();
  const label = `Angel Memory test delivery ${at.toISOString()}`;
  const body = Buffer.from(
    JSON.stringify({
      session_id: TEST_SESSION_ID,
      segments: [{ id: key, text: label, speaker: 'SPEAKER_00', speaker_id: 0, is_user: false, start: 0, end: 1 }],
    }),
  );
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-omi-idempotency-key': key };
  // A profile that requires signatures gets a signed delivery, like OMI sends it.
  const signingSecret = text(db, 'webhook.signingSecret');
  if (signingSecret) {
    const t = Math.floor(at.getTime() / 1000);
    const uid = new URL(url).searchParams.get('uid') ?? '';
    headers['x-omi-signature'] = `t=${t},v1=${signPayload(signingSecret, t, uid, body)}`;
  }
  const timeoutMs = input.timeoutMs ?? TEST_DELIVERY_TIMEOUT_MS;
  const scrub = (message: string) => message.split(secret).join('***');
  const started = performance.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await input.fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    const answer = (await response.json().catch(() => null)) as { error?: { message?: unknown } } | null;
    if (!response.ok) {
      const message = typeof answer?.error?.message === 'string' ? answer.error.message : response.statusText;
      error = scrub(`HTTP ${response.status}${message ? `: ${message}` : ''}`);
    }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    error =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no answer within ${timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`}`
        : scrub([e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(': '));
  }
  const ms = Math.round((performance.now() - started) * 10) / 10;
  const row = stmt(db, 'SELECT pk FROM webhook_inbox WHERE idempotency_key = ? ORDER BY pk DESC LIMIT 1').get(key) as
    { pk: number } | undefined;
  return { ok: error === null, status, ms, inboxId: row?.pk ?? null, error };
}
