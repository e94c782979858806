// `export`, `import` and `backup now | list | restore`. Progress goes to stderr as it happens; the
// result (with --json, the report as one JSON document) to stdout. An archive passphrase comes from
// ANGEL_MEMORY_ARCHIVE_PASSPHRASE or --archive-passphrase-file, never from argv. (The global
// --passphrase-file is the vault's passphrase, so the archive's needs its own flag.)
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { ArchiveFilter, ArchiveProgress, ImportReport } from '../../../shared/models';
import { AppError } from '../../errors';
import { ACTOR, type CliContext } from '../context';
import { fields, table } from '../format';
import { readPassphrase } from '../io';
import { unwrap } from '../output';
import { collect, withProfile, type ProfileOption } from '../options';

export const ARCHIVE_PASSPHRASE_ENV = 'ANGEL_MEMORY_ARCHIVE_PASSPHRASE';

function archivePassphrase(ctx: CliContext, file: string | undefined, required: boolean): string | undefined {
  if (file === undefined && !ctx.io.env[ARCHIVE_PASSPHRASE_ENV]) {
    if (!required) return undefined;
    throw new AppError(
      'BAD_INPUT',
      `an archive passphrase is needed: set ${ARCHIVE_PASSPHRASE_ENV} or pass --archive-passphrase-file FILE`,
    );
  }
  return readPassphrase({ ANGEL_MEMORY_PASSPHRASE: ctx.io.env[ARCHIVE_PASSPHRASE_ENV] }, file);
}

/** Prints progress lines on stderr: at each new phase and every 10,000 records within one. */
function showProgress(ctx: CliContext, profileId: string): () => void {
  let phase = '';
  let shownAt = 0;
  return ctx.host().core.on('archive.progress', (p: ArchiveProgress) => {
    if (p.profileId !== profileId) return;
    if (p.phase === phase && p.done - shownAt < 10_000) return;
    phase = p.phase;
    shownAt = p.done;
    const of = p.total === null ? '' : `/${p.total}`;
    ctx.io.stderr.write(`${p.operation}: ${p.phase} ${p.done}${of}\n`);
  });
}

function reportText(r: ImportReport): string {
  const rows = Object.entries(r.counts).map(([t, c]) => [
    t,
    String(c.inserted),
    String(c.replaced),
    String(c.unchanged),
    String(c.skipped),
    String(c.rejected),
  ]);
  const notes = [...r.skipped.map((s) => ['skipped', s] as const), ...r.rejected.map((s) => ['rejected', s] as const)]
    .slice(0, 50)
    .map(([what, s]) => `  ${what} ${s.table} ${s.id}: ${s.reason}`);
  const more = r.skipped.length + r.rejected.length > 50 ? ['  ... (use --json for the full list)'] : [];
  return [
    table([['TABLE', 'INSERTED', 'REPLACED', 'UNCHANGED', 'SKIPPED', 'REJECTED'], ...rows]),
    r.changed ? `Imported with strategy ${r.strategy}.` : 'Nothing changed.',
    ...notes,
    ...more,
  ].join('\n');
}

interface ExportOptions extends ProfileOption {
  out: string;
  encrypt?: boolean;
  format: 'angelmem' | 'markdown';
  from?: string;
  to?: string;
  kind?: ('conversations' | 'memories' | 'daySummaries')[];
  tag?: string[];
  embeddings?: boolean;
  archivePassphraseFile?: string;
}

interface ImportOptions extends ProfileOption {
  strategy: 'skip' | 'overwrite' | 'newer';
  format: 'angelmem' | 'omi-conversations' | 'omi-memories';
  archivePassphraseFile?: string;
}

const passphraseFileOption = () =>
  new Option('--archive-passphrase-file <file>', `archive passphrase file (else $${ARCHIVE_PASSPHRASE_ENV})`);

export function registerArchive(program: Command, ctx: CliContext): void {
  withProfile(program.command('export').description('write the profile to an archive (or Markdown folder)'))
    .requiredOption('--out <file>', 'the archive to write (a folder for --format markdown)')
    .addOption(new Option('--format <format>', 'what to write').choices(['angelmem', 'markdown']).default('angelmem'))
    .option('--encrypt', 'encrypt the archive with age (passphrase from the environment or a file)')
    .option('--from <date>', 'only records created at or after this date (ISO 8601)')
    .option('--to <date>', 'only records created before this date (ISO 8601)')
    .addOption(
      new Option('--kind <kind>', 'only this kind (repeat for more)')
        .choices(['conversations', 'memories', 'daySummaries'])
        .argParser(collect),
    )
    .addOption(new Option('--tag <tag>', 'only memories with this tag (repeat for more)').argParser(collect))
    .option('--embeddings', 'include embeddings')
    .addOption(passphraseFileOption())
    .action(async (opts: ExportOptions) => {
      for (const [name, value] of [
        ['--from', opts.from],
        ['--to', opts.to],
      ] as const) {
        if (value !== undefined && Number.isNaN(Date.parse(value))) {
          throw new AppError('BAD_INPUT', `${name} expects a date such as 2026-01-31, got "${value}"`);
        }
      }
      if (opts.encrypt && opts.format === 'markdown') throw new AppError('BAD_INPUT', 'Markdown cannot be encrypted');
      const passphrase = opts.encrypt ? archivePassphrase(ctx, opts.archivePassphraseFile, true) : undefined;
      const profileId = await ctx.unlock(opts.profile);
      const filter: ArchiveFilter = {};
      if (opts.from) filter.from = opts.from;
      if (opts.to) filter.to = opts.to;
      if (opts.kind) filter.kinds = opts.kind;
      if (opts.tag) filter.tags = opts.tag;
      if (opts.embeddings) filter.embeddings = true;
      const stop = showProgress(ctx, profileId);
      const path = resolve(opts.out);
      const result = unwrap(
        await ctx
          .host()
          .core.invoke('archive.export', { profileId, path, format: opts.format, passphrase, filter }, ACTOR),
      );
      stop();
      ctx.out().result(result, (r) =>
        fields([
          ['written', r.path],
          ['format', r.format + (r.encrypted ? ' (age-encrypted)' : '')],
          ['conversations', String(r.counts.conversations)],
          ['memories', String(r.counts.memories)],
          ['day summaries', String(r.counts.daySummaries)],
          ['embeddings', String(r.counts.embeddings)],
        ]),
      );
    });

  withProfile(program.command('import').description('import an archive or OMI export into the profile'))
    .argument('<file>', 'the file to import')
    .addOption(
      new Option('--strategy <strategy>', 'for records already in the vault')
        .choices(['skip', 'overwrite', 'newer'])
        .default('skip'),
    )
    .addOption(
      new Option('--format <format>', 'what the file is')
        .choices(['angelmem', 'omi-conversations', 'omi-memories'])
        .default('angelmem'),
    )
    .addOption(passphraseFileOption())
    .action(async (file: string, opts: ImportOptions) => {
      const passphrase = archivePassphrase(ctx, opts.archivePassphraseFile, false);
      const profileId = await ctx.unlock(opts.profile);
      const stop = showProgress(ctx, profileId);
      const input = { profileId, path: resolve(file), format: opts.format, strategy: opts.strategy, passphrase };
      const report = unwrap(await ctx.host().core.invoke('archive.import', input, ACTOR));
      stop();
      ctx.out().result(report, reportText);
    });

  const backup = program.command('backup').description('encrypted automatic backups of a profile');

  withProfile(backup.command('now').description('write a backup now (kept in the profile backups/ folder)')).action(
    async (opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      const info = unwrap(await ctx.host().core.invoke('backups.create', { profileId }, ACTOR));
      ctx.out().result(info, (b) => `Wrote backup ${b.name} (${b.bytes} bytes).`);
    },
  );

  withProfile(backup.command('list').description('list the backups, newest first')).action(
    async (opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      const list = unwrap(await ctx.host().core.invoke('backups.list', { profileId }, ACTOR));
      ctx
        .out()
        .result(list, (l) =>
          l.length
            ? table([['NAME', 'CREATED', 'BYTES'], ...l.map((b) => [b.name, b.createdAt, String(b.bytes)])])
            : 'no backups',
        );
    },
  );

  withProfile(backup.command('restore').description('restore a backup into this, another or a new profile'))
    .argument('<name>', 'the backup (see backup list)')
    .option('--into <profile>', 'restore into this existing profile (default: the backed-up profile)')
    .option('--into-new <name>', 'create a new profile (passphrase from ANGEL_MEMORY_PASSPHRASE) and restore into it')
    .addOption(
      new Option('--strategy <strategy>', 'for records already in the target')
        .choices(['skip', 'overwrite', 'newer'])
        .default('skip'),
    )
    .action(
      async (
        name: string,
        opts: ProfileOption & { into?: string; intoNew?: string; strategy: 'skip' | 'overwrite' | 'newer' },
      ) => {
        if (opts.into && opts.intoNew) throw new AppError('BAD_INPUT', 'give --into or --into-new, not both');
        const profileId = await ctx.unlock(opts.profile);
        const into = opts.intoNew
          ? {
              kind: 'new' as const,
              name: opts.intoNew,
              protection: { kind: 'passphrase' as const, passphrase: ctx.passphrase() },
            }
          : {
              kind: 'existing' as const,
              profileId: opts.into ? await ctx.unlock(opts.into) : profileId,
              strategy: opts.strategy,
            };
        const restored = unwrap(await ctx.host().core.invoke('backups.restore', { profileId, name, into }, ACTOR));
        ctx
          .out()
          .result(restored, (r) =>
            [
              `Restored into profile ${r.profileId}.`,
              reportText(r.report),
              ...(r.recoveryKey ? [`Recovery key (shown once, write it down): ${r.recoveryKey}`] : []),
            ].join('\n'),
          );
      },
    );
}
