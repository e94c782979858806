// `profile create | list | recover`: making vaults, listing them, and setting a new passphrase with
// the recovery key. The recovery key is printed once, at creation, and read only from stdin.
import type { Command } from 'commander';
import type { ProfileSummary } from '../../../shared/models';
import { ACTOR, type CliContext } from '../context';
import { fields, pageFooter, table } from '../format';
import { readSecret } from '../io';
import { unwrap } from '../output';
import { withPage, type PageOptions } from '../options';

interface Created {
  id: string;
  name: string;
  webhookUrl: string;
  recoveryKey: string;
}

function createdText(c: Created): string {
  return [
    `Created profile "${c.name}" (${c.id}).`,
    '',
    fields([
      ['Webhook URL', c.webhookUrl],
      ['', 'In the OMI app, use this URL followed by /conversation, /transcript, /audio or /day-summary.'],
      ['', ''],
      ['Recovery key', c.recoveryKey],
    ]),
    '',
    'WRITE THIS RECOVERY KEY DOWN NOW and keep it somewhere safe. It is shown only this once.',
    'It opens this vault if the passphrase is lost: angel-memory profile recover --name NAME',
  ].join('\n');
}

function listText(page: { items: ProfileSummary[]; total: number }, offset: number): string {
  const rows = page.items.map((p) => [p.name, p.id, p.createdAt, p.protection.join('+'), p.locked ? 'locked' : 'open']);
  const body = rows.length ? `${table([['NAME', 'ID', 'CREATED', 'PROTECTION', 'STATE'], ...rows])}\n` : '';
  return body + pageFooter(page.items.length, offset, page.total, 'profiles');
}

export function registerProfile(program: Command, ctx: CliContext): void {
  const profile = program.command('profile').description('create, list and recover profiles (vaults)');

  profile
    .command('create')
    .description('create a passphrase-protected vault; prints its webhook URL and recovery key')
    .requiredOption('--name <name>', 'a name for the profile')
    .action(async (opts: { name: string }) => {
      const passphrase = ctx.passphrase();
      const { core } = ctx.host();
      const created = unwrap(
        await core.invoke(
          'profiles.create',
          { name: opts.name, protection: { kind: 'passphrase', passphrase } },
          ACTOR,
        ),
      );
      const { id, name } = created.profile;
      const result: Created = { id, name, webhookUrl: core.webhookUrl(id), recoveryKey: created.recoveryKey };
      ctx.out().result(result, createdText);
    });

  withPage(profile.command('list').description('list profiles (the CLI holds none open, so all are locked)')).action(
    async (opts: PageOptions) => {
      const all = unwrap(await ctx.host().core.invoke('profiles.list', {}, ACTOR));
      const page = { items: all.slice(opts.offset, opts.offset + opts.limit), total: all.length };
      ctx.out().result(page, (p) => listText(p, opts.offset));
    },
  );

  profile
    .command('recover')
    .description('set a new passphrase (from ANGEL_MEMORY_PASSPHRASE) using the recovery key read from stdin')
    .requiredOption('--name <name-or-id>', 'the profile to recover')
    .action(async (opts: { name: string }) => {
      const newPassphrase = ctx.passphrase();
      const recoveryKey = await readSecret(ctx.io, 'recovery key');
      const summary = await ctx
        .host()
        .core.vault.setPassphrase(opts.name, { kind: 'recovery', recoveryKey }, newPassphrase);
      ctx
        .out()
        .result(
          summary,
          (s) => `New passphrase set for profile "${s.name}" (${s.id}). The recovery key stays valid; keep it safe.`,
        );
    });
}
