// Applies one webhook delivery to a profile's database. Everything a delivery changes — its inbox
// row, the domain rows (conversation, live segments, day summary, audio) and its outbox jobs
// (embedding a new or revised conversation) — is written in one
// transaction on a synchronous=FULL connection, and only then is the delivery acknowledged, so an
// acknowledged delivery survives a crash and an unacknowledged one left no trace.
//
// Idempotency: the key is X-Omi-Idempotency-Key / X-Omi-Delivery when sent, else
// (kind, payload id, sha256 of the raw body). A key already applied with the same body is a
// duplicate: acknowledged and recorded, nothing else changes. The same conversation id with a
// different body is a revision: applied, the previous state kept in conversation_revisions.
import { createHash } from 'node:crypto';
import secureJson from 'secure-json-parse';
import type { Result } from '../../shared/result';
import type { WriteContext } from '../db/repos/audit';
import { upsertConversation } from '../db/repos/conversations';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { enqueueEmbedding } from '../search/jobs';
import { normalizeOmiConversation, type NormalizedConversation, type NormalizedSegment } from './omi-conversation';
import { parseDaySummary, parseTranscript, type DaySummary, type Transcript } from './payloads';

export const WEBHOOK_KINDS = ['conversation', 'transcript', 'audio', 'day-summary'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** A delivery as it came off the wire, before parsing. This is also what the locked spool seals. */
export interface RawDelivery {
  kind: WebhookKind;
  uid: string | null;
  /** session_id and sample_rate from the query string. */
  sessionId: string | null;
  sampleRate: number | null;
  idempotencyHeader: string | null;
  /** X-Omi-Signature, kept so a delivery spooled while locked can be verified on unlock. */
  signature: string | null;
  body: Buffer;
  receivedAt: string;
}

export type ParsedBody =
  | { kind: 'conversation'; conversation: NormalizedConversation }
  | { kind: 'transcript'; transcript: Transcript }
  | { kind: 'day-summary'; summary: DaySummary }
  | { kind: 'audio'; bytes: Buffer };

export const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** JSON with prototype-poisoning protection (`__proto__` / `constructor.prototype` refused). */
function parseJson(body: Buffer): Result<unknown> {
  try {
    return {
      ok: true,
      value: secureJson.parse(body.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' }),
    };
  } catch (err) {
    return {
      ok: false,
      error: { code: 'BAD_INPUT', message: `body is not valid JSON: ${(err as Error).message.slice(0, 120)}` },
    };
  }
}

/** Parses and validates without touching any database. */
export function parseDelivery(d: RawDelivery): Result<ParsedBody> {
  if (d.kind === 'audio') {
    if (d.body.length % 2 !== 0)
      return { ok: false, error: { code: 'VALIDATION', message: 'PCM16 audio has an even number of bytes' } };
    return { ok: true, value: { kind: 'audio', bytes: d.body } };
  }
  const json = parseJson(d.body);
  if (!json.ok) return json;
  switch (d.kind) {
    case 'conversation': {
      const r = normalizeOmiConversation(json.value);
      return r.ok ? { ok: true, value: { kind: 'conversation', conversation: r.value } } : r;
    }
    case 'transcript': {
      const r = parseTranscript(json.value, d.sessionId ?? d.uid);
      return r.ok ? { ok: true, value: { kind: 'transcript', transcript: r.value } } : r;
    }
    case 'day-summary': {
      const r = parseDaySummary(json.value);
      return r.ok ? { ok: true, value: { kind: 'day-summary', summary: r.value } } : r;
    }
  }
}

function payloadId(p: ParsedBody): string | null {
  switch (p.kind) {
    case 'conversation':
      return p.conversation.id;
    case 'transcript':
      return p.transcript.sessionId;
    case 'day-summary':
      return p.summary.createdAt;
    case 'audio':
      return null;
  }
}

export type InboxStatus = 'applied' | 'duplicate' | 'revision';

export interface IngestOutcome {
  status: InboxStatus;
  inboxId: number;
  /** Realtime segments not seen before, for the live view. */
  newSegments: NormalizedSegment[];
  sessionId: string | null;
}

export interface IngestOptions {
  storeAudio: boolean;
  /** Replays bypass the idempotency check; the domain writes are idempotent on their own. */
  replay?: boolean;
}

function segmentKey(s: NormalizedSegment): string {
  return (
    s.segmentId ??
    createHash('sha1')
      .update(`${s.start}|${s.end}|${s.speakerId ?? s.speaker ?? ''}|${s.text}`)
      .digest('hex')
  );
}

function applyDomain(db: Db, d: RawDelivery, p: ParsedBody, ctx: WriteContext, options: IngestOptions) {
  const newSegments: NormalizedSegment[] = [];
  let status: InboxStatus = 'applied';
  switch (p.kind) {
    case 'conversation': {
      const { outcome } = upsertConversation(db, p.conversation, 'webhook', ctx);
      status = outcome === 'updated' ? 'revision' : outcome === 'unchanged' ? 'duplicate' : 'applied';
      // New or changed text to embed, queued in this transaction (nothing when no provider is set).
      if (outcome !== 'unchanged') enqueueEmbedding(db, [{ kind: 'conversation', id: p.conversation.id }], ctx.now());
      // Link realtime segments heard during this conversation (OMI's session id is the uid).
      const c = p.conversation;
      if (d.uid && c.startedAt) {
        const from = new Date(Date.parse(c.startedAt) - 60_000).toISOString();
        const to = new Date(Date.parse(c.finishedAt ?? c.createdAt ?? c.startedAt) + 120_000).toISOString();
        stmt(
          db,
          'UPDATE live_segments SET conversation_id = ? WHERE conversation_id IS NULL AND session_id = ? AND received_at BETWEEN ? AND ?',
        ).run(c.id, d.uid, from, to);
      }
      break;
    }
    case 'transcript': {
      const session = p.transcript.sessionId ?? 'unknown';
      for (const s of p.transcript.segments) {
        const r = stmt(
          db,
          `INSERT INTO live_segments (session_id, segment_key, text, speaker, speaker_id, is_user, person_id, start_s, end_s, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, segment_key) DO NOTHING`,
        ).run(
          session,
          segmentKey(s),
          s.text,
          s.speaker,
          s.speakerId,
          s.isUser ? 1 : 0,
          s.personId,
          s.start,
          s.end,
          d.receivedAt,
        );
        if (r.changes > 0) newSegments.push(s);
      }
      if (p.transcript.segments.length > 0 && newSegments.length === 0) status = 'duplicate';
      break;
    }
    case 'day-summary':
      stmt(db, 'INSERT INTO day_summaries (summary, uid, created_at, received_at) VALUES (?, ?, ?, ?)').run(
        p.summary.summary,
        p.summary.uid ?? d.uid,
        p.summary.createdAt ?? d.receivedAt,
        d.receivedAt,
      );
      break;
    case 'audio':
      if (options.storeAudio) {
        stmt(db, 'INSERT INTO audio_chunks (received_at, uid, sample_rate, bytes) VALUES (?, ?, ?, ?)').run(
          d.receivedAt,
          d.uid,
          d.sampleRate,
          p.bytes,
        );
      }
      break;
  }
  return { status, newSegments };
}

export function ingestDelivery(
  db: Db,
  d: RawDelivery,
  p: ParsedBody,
  ctx: WriteContext,
  options: IngestOptions,
): IngestOutcome {
  const started = performance.now();
  const bodySha = sha256(d.body);
  const key = d.idempotencyHeader ?? `${d.kind}:${payloadId(p) ?? '-'}:${bodySha}`;
  return db.transaction(() => {
    const seen = stmt(
      db,
      "SELECT 1 FROM webhook_inbox WHERE idempotency_key = ? AND body_sha256 = ? AND status != 'failed'",
    ).get(key, bodySha);
    let status: InboxStatus = 'duplicate';
    let newSegments: NormalizedSegment[] = [];
    if (!seen || options.replay) ({ status, newSegments } = applyDomain(db, d, p, ctx, options));
    // Duplicates keep no body: the first delivery's row already holds it. Audio bodies are never
    // kept in the inbox; they go to audio_chunks when the user has turned that on.
    const keepBody = status !== 'duplicate' && d.kind !== 'audio';
    const r = stmt(
      db,
      `INSERT INTO webhook_inbox (kind, received_at, uid, idempotency_key, payload_id, body_sha256, body, status, size, handling_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      d.kind,
      d.receivedAt,
      d.uid,
      key,
      payloadId(p),
      bodySha,
      keepBody ? d.body : null,
      status,
      d.body.length,
      performance.now() - started,
    );
    return {
      status,
      inboxId: Number(r.lastInsertRowid),
      newSegments,
      sessionId: p.kind === 'transcript' ? p.transcript.sessionId : null,
    };
  })();
}
