// OMI sync (DESIGN.md §6): the Developer API client, pull and reconcile, push through the outbox,
// the persisted breaker and the rate limiter, behind one service the core wires up.
export { createSyncService, enqueueMemorySync, DEFAULT_SYNC_PORTS, OMI_API_URL_ENV, OMI_TIMEOUT_ENV } from './service';
export type { SyncService, SyncPorts } from './service';
export { listConflicts, resolveConflict } from './conflicts';
export { enqueueActionItemSync } from './push-action-items';
export { OmiApiError } from './errors';
