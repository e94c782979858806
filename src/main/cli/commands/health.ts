// `stats` and `doctor`: what a vault holds and whether it is healthy. doctor exits 1 when any check
// fails, so scripts and monitoring can act on the status alone.
import type { Command } from 'commander';
import type { Stats } from '../../../shared/models';
import type { DoctorReport } from '../../core/doctor';
import { ACTOR, type CliContext } from '../context';
import { fields, table } from '../format';
import { EXIT, unwrap } from '../output';
import { withProfile, type ProfileOption } from '../options';

function byKey(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([k, n]) => `${k} ${n}`).join(', ') : 'empty';
}

function statsText(s: Stats): string {
  return fields([
    ['conversations', String(s.conversations)],
    ['segments', String(s.segments)],
    ['memories', String(s.memories)],
    ['trashed', String(s.trashed)],
    ['tags', String(s.tags)],
    ['embeddings', String(s.embeddings)],
    ['inbox', byKey(s.inbox)],
    ['outbox', byKey(s.outbox)],
  ]);
}

function doctorText(r: DoctorReport): string {
  const rows = r.checks.map((c) => [c.ok ? 'ok' : 'FAIL', c.name, c.detail]);
  return `${table(rows)}\n${r.healthy ? 'healthy' : 'UNHEALTHY'}`;
}

export function registerHealth(program: Command, ctx: CliContext): void {
  withProfile(program.command('stats').description('count what the vault holds')).action(
    async (opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      ctx.out().result(unwrap(await ctx.host().core.invoke('stats.get', { profileId }, ACTOR)), statsText);
    },
  );

  withProfile(program.command('doctor').description('check the vault; exits 1 if anything is unhealthy')).action(
    async (opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      const report = await ctx.host().core.doctor(profileId);
      ctx.out().result(report, doctorText);
      if (!report.healthy) ctx.exitCode = EXIT.failure;
    },
  );
}
