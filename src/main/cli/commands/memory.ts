// `memory add | edit | delete | restore | purge | get | list`. Everything goes through the IPC
// contract except purge, which is deliberately not a UI channel and calls the repo directly.
import { Option, type Command } from 'commander';
import { MemoryCategory, Visibility, type Memory, type MemoryVersion } from '../../../shared/models';
import { AppError } from '../../errors';
import { ACTOR, type CliContext } from '../context';
import { fields, indent, oneLine, orDash, pageFooter, table } from '../format';
import { readText } from '../io';
import { unwrap } from '../output';
import { collect, withPage, withProfile, type PageOptions, type ProfileOption } from '../options';

interface Attributes {
  category?: Memory['category'];
  visibility?: Memory['visibility'];
  tag?: string[];
}

const categoryOption = () => new Option('--category <category>', 'category').choices(MemoryCategory.options);
const visibilityOption = () => new Option('--visibility <visibility>', 'visibility').choices(Visibility.options);
const tagOption = (what = 'a tag (repeat for more)') => new Option('--tag <tag>', what).argParser(collect);

function memoryText(m: Memory): string {
  return fields([
    ['id', m.id],
    ['category', m.category],
    ['visibility', m.visibility],
    ['tags', m.tags.join(', ') || '-'],
    ['origin', m.origin],
    ['created', m.createdAt],
    ['updated', m.updatedAt],
    ['deleted', orDash(m.deletedAt)],
    ['content', ''],
  ]).concat('\n', indent(m.content));
}

function versionsText(versions: MemoryVersion[]): string {
  if (versions.length === 0) return 'no earlier versions';
  const rows = versions.map((v) => [
    `v${v.version}`,
    v.changedAt,
    v.changedBy,
    v.category,
    v.tags.join(',') || '-',
    oneLine(v.content),
  ]);
  return `earlier versions (${versions.length})\n${indent(table(rows))}`;
}

function listText(page: { items: Memory[]; total: number }, offset: number): string {
  const rows = page.items.map((m) => [
    m.id,
    m.createdAt.slice(0, 10),
    m.category,
    m.tags.join(','),
    oneLine(m.content),
  ]);
  const body = rows.length ? `${table([['ID', 'CREATED', 'CATEGORY', 'TAGS', 'CONTENT'], ...rows])}\n` : '';
  return body + pageFooter(page.items.length, offset, page.total, 'memories');
}

const contentFrom = (ctx: CliContext, text: string) => (text === '-' ? readText(ctx.io, 'memory text') : text);

export function registerMemory(program: Command, ctx: CliContext): void {
  const memory = program.command('memory').description('add, edit, trash, restore, purge and read memories');

  withProfile(memory.command('add').description('add a memory (TEXT "-" reads it from stdin)'))
    .argument('<text>', 'the memory')
    .addOption(categoryOption())
    .addOption(visibilityOption())
    .addOption(tagOption())
    .action(async (text: string, opts: ProfileOption & Attributes) => {
      const content = await contentFrom(ctx, text);
      const profileId = await ctx.unlock(opts.profile);
      const { category, visibility, tag: tags } = opts;
      const created = unwrap(
        await ctx.host().core.invoke('memories.create', { profileId, content, category, visibility, tags }, ACTOR),
      );
      ctx.out().result(created, memoryText);
    });

  withProfile(memory.command('edit').description('change a memory; the previous state is kept as a version'))
    .argument('<id>', 'memory id')
    .option('--content <text>', 'new text ("-" reads it from stdin)')
    .addOption(categoryOption())
    .addOption(visibilityOption())
    .addOption(tagOption('the new tags, replacing the old (repeat for more)'))
    .action(async (id: string, opts: ProfileOption & Attributes & { content?: string }) => {
      const { category, visibility, tag: tags } = opts;
      if (opts.content === undefined && !category && !visibility && !tags) {
        throw new AppError('BAD_INPUT', 'nothing to change: give --content, --category, --visibility or --tag');
      }
      const content = opts.content === undefined ? undefined : await contentFrom(ctx, opts.content);
      const profileId = await ctx.unlock(opts.profile);
      const patch = { profileId, id, content, category, visibility, tags };
      ctx.out().result(unwrap(await ctx.host().core.invoke('memories.update', patch, ACTOR)), memoryText);
    });

  for (const [name, channel, description] of [
    ['delete', 'memories.delete', 'move a memory to the trash'],
    ['restore', 'memories.restore', 'bring a memory back from the trash'],
  ] as const) {
    withProfile(memory.command(name).description(description))
      .argument('<id>', 'memory id')
      .action(async (id: string, opts: ProfileOption) => {
        const profileId = await ctx.unlock(opts.profile);
        const m = unwrap(await ctx.host().core.invoke(channel, { profileId, id }, ACTOR));
        ctx.out().result(m, (v) => `${v.deletedAt ? 'Trashed' : 'Restored'} memory ${v.id}.`);
      });
  }

  withProfile(memory.command('purge').description('remove a trashed memory and its history for good'))
    .argument('<id>', 'memory id')
    .action(async (id: string, opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      ctx.host().core.purgeMemory(profileId, id, ACTOR);
      ctx.out().result({ id, purged: true }, () => `Purged memory ${id}.`);
    });

  withProfile(memory.command('get').description('show a memory with its version history'))
    .argument('<id>', 'memory id')
    .action(async (id: string, opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      const m = unwrap(await ctx.host().core.invoke('memories.get', { profileId, id }, ACTOR));
      ctx.out().result(m, (v) => `${memoryText(v)}\n\n${versionsText(v.versions)}`);
    });

  withPage(withProfile(memory.command('list').description('list memories, newest first')))
    .option('--trash', 'list the trash instead')
    .option('--tag <tag>', 'only memories with this tag')
    .action(async (opts: ProfileOption & PageOptions & { trash?: boolean; tag?: string }) => {
      const profileId = await ctx.unlock(opts.profile);
      const { limit, offset, tag } = opts;
      const query = { profileId, trash: opts.trash === true, tag, limit, offset };
      const page = unwrap(await ctx.host().core.invoke('memories.list', query, ACTOR));
      ctx.out().result(page, (p) => listText(p, offset));
    });
}
