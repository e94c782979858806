// `inbox list | show | replay`: the webhook deliveries a profile received, for debugging. `show`
// prints the payload with every known secret scrubbed; `replay` applies a stored delivery again
// (idempotent: replaying twice changes nothing more).
import { InvalidArgumentError, type Command } from 'commander';
import type { InboxEntry } from '../../../shared/models';
import { ACTOR, type CliContext } from '../context';
import { fields, orDash, pageFooter, table } from '../format';
import { unwrap } from '../output';
import { withPage, withProfile, type PageOptions, type ProfileOption } from '../options';

function entryId(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new InvalidArgumentError('expected an inbox entry number');
  return n;
}

function listText(page: { items: InboxEntry[]; total: number }, offset: number): string {
  const rows = page.items.map((e) => [
    String(e.id),
    e.receivedAt.slice(0, 19).replace('T', ' '),
    e.kind,
    e.status,
    String(e.size),
    e.handlingMs === null ? '-' : `${e.handlingMs.toFixed(1)} ms`,
    orDash(e.error),
  ]);
  const body = rows.length
    ? `${table([['ID', 'RECEIVED', 'KIND', 'STATUS', 'BYTES', 'HANDLING', 'ERROR'], ...rows])}\n`
    : '';
  return body + pageFooter(page.items.length, offset, page.total, 'deliveries');
}

export function registerInbox(program: Command, ctx: CliContext): void {
  const inbox = program.command('inbox').description('webhook deliveries received (debugging)');

  withPage(withProfile(inbox.command('list').description('list deliveries, newest first')))
    .option('--status <status>', 'applied, duplicate, revision or failed')
    .option('--kind <kind>', 'conversation, transcript, audio or day-summary')
    .action(async (opts: ProfileOption & PageOptions & { status?: string; kind?: string }) => {
      const profileId = await ctx.unlock(opts.profile);
      const { profile: _p, ...query } = opts;
      const page = unwrap(await ctx.host().core.invoke('inbox.list', { profileId, ...query }, ACTOR));
      ctx.out().result(page, (p) => listText(p, opts.offset));
    });

  withProfile(
    inbox.command('show').description('one delivery with its payload').argument('<id>', 'entry number', entryId),
  ).action(async (id: number, opts: ProfileOption) => {
    const profileId = await ctx.unlock(opts.profile);
    const entry = unwrap(await ctx.host().core.invoke('inbox.get', { profileId, id }, ACTOR));
    ctx.out().result(entry, (e) =>
      [
        fields([
          ['id', String(e.id)],
          ['kind', e.kind],
          ['status', e.status],
          ['received', e.receivedAt],
          ['key', e.idempotencyKey],
          ['bytes', String(e.size)],
          ['error', orDash(e.error)],
        ]),
        e.payload ?? '(no body kept)',
      ].join('\n\n'),
    );
  });

  withProfile(
    inbox.command('replay').description('apply a stored delivery again').argument('<id>', 'entry number', entryId),
  ).action(async (id: number, opts: ProfileOption) => {
    const profileId = await ctx.unlock(opts.profile);
    const result = unwrap(await ctx.host().core.invoke('inbox.replay', { profileId, id }, ACTOR));
    ctx.out().result(result, (r) => `replayed: ${r.status}`);
  });
}
