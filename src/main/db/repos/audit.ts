// The audit log: one row for every mutation of user data, written in the mutation's transaction.
import type { Db } from '../open';
import { stmt } from '../prepared';

export interface WriteContext {
  now: () => Date;
  /** Who or what made the change: user, cli, webhook, sync, import. */
  actor: string;
}

export function audit(
  db: Db,
  ctx: WriteContext,
  action: string,
  entity: string,
  entityId: string | null,
  detail?: Record<string, unknown>,
): void {
  stmt(db, 'INSERT INTO audit_log (at, actor, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?)').run(
    ctx.now().toISOString(),
    ctx.actor,
    action,
    entity,
    entityId,
    detail ? JSON.stringify(detail) : null,
  );
}

export interface AuditRow {
  at: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
}

export function auditFor(db: Db, entity: string, entityId: string): AuditRow[] {
  return stmt(
    db,
    'SELECT at, actor, action, entity, entity_id AS entityId FROM audit_log WHERE entity = ? AND entity_id = ? ORDER BY pk',
  ).all(entity, entityId) as AuditRow[];
}
