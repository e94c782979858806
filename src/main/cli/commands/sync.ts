// `sync`: OMI sync from the command line.
//   sync --profile P --once          one complete pass (pull, deletion reconcile, push); exit 1 if any
//                                    part failed or left work to retry
//   sync --profile P                 keep syncing on the schedule until SIGTERM / SIGINT
//   sync status | dead-letters | retry [--id N...] | conflicts | resolve MEMORY --keep mine|theirs|edit
// The subcommands take the group's --profile (`sync status --profile P`), so it is declared once.
// ANGEL_MEMORY_OMI_API_URL overrides the base URL, ANGEL_MEMORY_OMI_TIMEOUT_MS the request timeout.
import { InvalidArgumentError, type Command } from 'commander';
import type { SyncConflict, SyncDeadLetter, SyncPassReport, SyncStatus } from '../../../shared/models';
import { AppError } from '../../errors';
import { ACTOR, type CliContext } from '../context';
import { fields, oneLine, orDash, pageFooter, table } from '../format';
import { readText } from '../io';
import { collect, withPage, type PageOptions } from '../options';
import { unwrap } from '../output';

interface SyncOptions {
  profile?: string;
  once?: boolean;
  incremental?: boolean;
}

function statusText(s: SyncStatus): string {
  return fields([
    ['configured', s.configured ? 'yes' : 'no (set omi.apiKey)'],
    ['breaker', s.breaker],
    ['backlog', String(s.backlog)],
    ['dead letters', String(s.deadLetters)],
    ['conflicts', String(s.conflicts)],
    ['last success', orDash(s.lastSuccessAt)],
    ['last attempt', orDash(s.lastAttemptAt)],
    ['next attempt', orDash(s.nextAttemptAt)],
    [
      'rate',
      `${s.rate.remaining}/${s.rate.limit} left${s.rate.blockedUntil ? `, blocked until ${s.rate.blockedUntil}` : ''}`,
    ],
    ['last error', orDash(s.lastError)],
  ]);
}

function reportText(r: SyncPassReport): string {
  const pulled = r.pull
    ? (['memories', 'conversations', 'actionItems'] as const)
        .map((k) => {
          const c = r.pull![k];
          return `${k} +${c.created} ~${c.updated} conflicts ${c.conflicts} deleted ${c.remoteDeleted}`;
        })
        .join('; ')
    : 'failed';
  const p = r.push;
  const pushed = p
    ? `created ${p.created}, updated ${p.updated}, deleted ${p.deleted}, to retry ${p.retried}, dead ${p.dead}${p.paused ? `, paused: ${p.paused}` : ''}`
    : 'failed';
  const lines = [
    `${r.ok ? 'sync ok' : 'sync FAILED'} (${r.full ? 'full' : 'incremental'})`,
    `pull  ${pulled}`,
    `push  ${pushed}`,
  ];
  for (const e of r.errors) lines.push(`error ${e.part} ${e.code}: ${e.message}`);
  return lines.join('\n');
}

function positive(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new InvalidArgumentError('expected a dead letter id');
  return n;
}

const stopSignal = () =>
  new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

export function registerSync(program: Command, ctx: CliContext): void {
  const sync = program
    .command('sync')
    .description('pull from and push to the OMI API (ANGEL_MEMORY_OMI_API_URL overrides the base URL)')
    .option('--profile <name-or-id>', 'the profile (vault) to sync')
    .option('--once', 'run one complete pass and exit; exit 1 if any part failed')
    .option('--incremental', 'with --once: read only new pages, skip the deletion diff');

  async function open(): Promise<string> {
    const { profile } = sync.opts<SyncOptions>();
    if (!profile) throw new AppError('BAD_INPUT', "required option '--profile <name-or-id>' not specified");
    const profileId = await ctx.unlock(profile);
    return profileId;
  }

  sync.action(async (opts: SyncOptions) => {
    const profileId = await open();
    const core = ctx.host().core;
    if (opts.once) {
      const report = unwrap(await core.invoke('sync.run', { profileId, full: !opts.incremental }, ACTOR));
      ctx.out().result(report, reportText);
      if (!report.ok) ctx.exitCode = 1;
      return;
    }
    const signal = stopSignal();
    core.sync.start(profileId);
    if (!ctx.out().json) ctx.io.stdout.write('syncing; stop with Ctrl+C\n');
    // The scheduler's timers do not hold the process open (they must not in the app); this does.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await signal;
    } finally {
      clearInterval(keepAlive);
    }
    await core.sync.stop(profileId);
    ctx.out().result(core.sync.status(profileId), statusText);
  });

  sync
    .command('status')
    .description('breaker, backlog, last success, next attempt, rate headroom, dead letters, conflicts')
    .action(async () => {
      const profileId = await open();
      ctx.out().result(unwrap(await ctx.host().core.invoke('sync.status', { profileId }, ACTOR)), statusText);
    });

  withPage(sync.command('dead-letters').description('jobs that failed for good, with their last error')).action(
    async (opts: PageOptions) => {
      const profileId = await open();
      const page = unwrap(await ctx.host().core.invoke('sync.deadLetters', { profileId, ...opts }, ACTOR));
      ctx.out().result(page, (p: { items: SyncDeadLetter[]; total: number }) => {
        const rows = p.items.map((d) => [String(d.id), d.entity, String(d.attempts), oneLine(d.lastError ?? '-', 80)]);
        const body = rows.length ? `${table([['ID', 'ITEM', 'TRIES', 'LAST ERROR'], ...rows])}\n` : '';
        return body + pageFooter(p.items.length, opts.offset, p.total, 'dead letters');
      });
    },
  );

  sync
    .command('retry')
    .description('queue dead letters again (all, or those named with --id)')
    .option('--id <n>', 'a dead letter id (repeatable)', (v: string, prev: string[] | undefined) => collect(v, prev))
    .action(async (opts: { id?: string[] }) => {
      const ids = opts.id?.map(positive);
      const profileId = await open();
      const result = unwrap(await ctx.host().core.invoke('sync.retry', { profileId, ids }, ACTOR));
      ctx.out().result(result, (r) => `${r.retried} queued again`);
    });

  sync
    .command('conflicts')
    .description('memories changed both here and on OMI since the last sync')
    .action(async () => {
      const profileId = await open();
      const list = unwrap(await ctx.host().core.invoke('sync.conflicts', { profileId }, ACTOR));
      ctx
        .out()
        .result(list, (l: { items: SyncConflict[] }) =>
          l.items.length === 0
            ? 'no conflicts'
            : table([
                ['MEMORY', 'MINE', 'THEIRS'],
                ...l.items.map((c) => [c.memoryId, oneLine(c.mine.content, 40), oneLine(c.theirs.content, 40)]),
              ]),
        );
    });

  sync
    .command('resolve')
    .description('resolve a conflict: --keep mine | theirs, or --keep edit with the new text on stdin')
    .argument('<memory-id>', 'the memory in conflict')
    .requiredOption('--keep <which>', 'mine, theirs or edit', (v: string) => {
      if (v !== 'mine' && v !== 'theirs' && v !== 'edit')
        throw new InvalidArgumentError('expected mine, theirs or edit');
      return v;
    })
    .action(async (memoryId: string, opts: { keep: 'mine' | 'theirs' | 'edit' }) => {
      const profileId = await open();
      const content = opts.keep === 'edit' ? (await readText(ctx.io, 'the new content')).trim() : undefined;
      const memory = unwrap(
        await ctx.host().core.invoke('sync.resolve', { profileId, memoryId, resolution: opts.keep, content }, ACTOR),
      );
      ctx.out().result(memory, (m) => `resolved (${opts.keep}): ${oneLine(m.content, 80)}`);
    });
}
