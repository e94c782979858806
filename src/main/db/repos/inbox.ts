// The webhook inbox, read for debugging: every accepted delivery with its status and timing.
import type { Db } from '../open';
import { stmt } from '../prepared';

export interface InboxRow {
  id: number;
  kind: string;
  receivedAt: string;
  uid: string | null;
  idempotencyKey: string;
  payloadId: string | null;
  status: string;
  error: string | null;
  size: number;
  handlingMs: number | null;
}

const COLUMNS = `pk AS id, kind, received_at AS receivedAt, uid, idempotency_key AS idempotencyKey,
  payload_id AS payloadId, status, error, size, handling_ms AS handlingMs`;

export function listInbox(
  db: Db,
  q: { status?: string; kind?: string; limit: number; offset: number },
): { items: InboxRow[]; total: number } {
  const where = 'WHERE (? IS NULL OR status = ?) AND (? IS NULL OR kind = ?)';
  const args = [q.status ?? null, q.status ?? null, q.kind ?? null, q.kind ?? null];
  const items = stmt(db, `SELECT ${COLUMNS} FROM webhook_inbox ${where} ORDER BY pk DESC LIMIT ? OFFSET ?`).all(
    ...args,
    q.limit,
    q.offset,
  ) as InboxRow[];
  const { n } = stmt(db, `SELECT count(*) AS n FROM webhook_inbox ${where}`).get(...args) as { n: number };
  return { items, total: n };
}

export function getInboxRow(db: Db, id: number): (InboxRow & { body: Buffer | null }) | undefined {
  return stmt(db, `SELECT ${COLUMNS}, body FROM webhook_inbox WHERE pk = ?`).get(id) as
    (InboxRow & { body: Buffer | null }) | undefined;
}

/** A delivery that could not be applied (e.g. a spooled one whose signature failed) is kept as failed. */
export function recordFailed(
  db: Db,
  row: {
    kind: string;
    receivedAt: string;
    uid: string | null;
    key: string;
    bodySha256: string;
    size: number;
    error: string;
  },
): void {
  stmt(
    db,
    `INSERT INTO webhook_inbox (kind, received_at, uid, idempotency_key, body_sha256, status, error, size)
     VALUES (?, ?, ?, ?, ?, 'failed', ?, ?)`,
  ).run(row.kind, row.receivedAt, row.uid, row.key, row.bodySha256, row.error, row.size);
}
