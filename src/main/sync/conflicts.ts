// Conflict resolution for a memory changed on both sides. The local row holds "mine", the conflict row
// "theirs" (OMI's version when the conflict was seen):
//   mine   -> OMI's version becomes the base, so the relay pushes mine over it;
//   theirs -> OMI's version is applied locally (a version row keeps mine) and nothing is pushed;
//   edit   -> the given text replaces mine, then as "mine".
// Every outcome is recorded on the conflict row, the memory's versions and the audit log.
import type { SyncConflict } from '../../shared/models';
import type { Memory } from '../../shared/models';
import type { Db } from '../db/open';
import type { WriteContext } from '../db/repos/audit';
import { audit } from '../db/repos/audit';
import { getMemory, updateMemory } from '../db/repos/memories';
import * as repo from '../db/repos/sync';
import { AppError } from '../errors';
import { enqueueMemorySync } from './service';

export function listConflicts(db: Db): SyncConflict[] {
  return repo.listConflicts(db).map((c) => {
    const m = getMemory(db, c.memoryId);
    return {
      id: c.id,
      memoryId: c.memoryId,
      detectedAt: c.detectedAt,
      mine: { content: m.content, category: m.category, visibility: m.visibility, tags: m.tags },
      theirs: c.remote,
    };
  });
}

export function resolveConflict(
  db: Db,
  args: { memoryId: string; resolution: 'mine' | 'theirs' | 'edit'; content?: string },
  ctx: WriteContext,
): Memory {
  return db.transaction(() => {
    const c = repo.openConflict(db, args.memoryId);
    if (!c) throw new AppError('NOT_FOUND', `memory ${args.memoryId} has no open sync conflict`);
    const now = ctx.now().toISOString();
    if (args.resolution === 'theirs') {
      updateMemory(db, args.memoryId, c.remote as Parameters<typeof updateMemory>[2], ctx);
      repo.setMemoryRemote(db, args.memoryId, c.remoteId, c.remoteHash);
    } else {
      if (args.resolution === 'edit') {
        if (!args.content) throw new AppError('BAD_INPUT', 'resolving with "edit" needs the new content');
        updateMemory(db, args.memoryId, { content: args.content }, ctx);
      }
      repo.setMemoryRemote(db, args.memoryId, c.remoteId, c.remoteHash);
      enqueueMemorySync(db, args.memoryId, `resolve-${args.resolution}`, now);
    }
    repo.resolveConflict(db, c.id, args.resolution, now);
    repo.wakeJobsFor(db, `memory:${args.memoryId}`, now);
    audit(db, ctx, 'resolve', 'memory', args.memoryId, { resolution: args.resolution });
    return getMemory(db, args.memoryId);
  })();
}
