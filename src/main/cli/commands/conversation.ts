// `conversation list | get`: reading conversations; `get` includes the transcript segments, action
// items and events.
import type { Command } from 'commander';
import type { ConversationDetail, ConversationSummary } from '../../../shared/models';
import { ACTOR, type CliContext } from '../context';
import { fields, indent, oneLine, orDash, pageFooter, table } from '../format';
import { unwrap } from '../output';
import { withPage, withProfile, type PageOptions, type ProfileOption } from '../options';

const when = (c: ConversationSummary) => c.startedAt ?? c.createdAt;

function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${String(m).padStart(2, '0')}:${(seconds - m * 60).toFixed(1).padStart(4, '0')}`;
}

function listText(page: { items: ConversationSummary[]; total: number }, offset: number): string {
  const rows = page.items.map((c) => [c.id, when(c).slice(0, 16).replace('T', ' '), c.category, oneLine(c.title)]);
  const body = rows.length ? `${table([['ID', 'STARTED', 'CATEGORY', 'TITLE'], ...rows])}\n` : '';
  return body + pageFooter(page.items.length, offset, page.total, 'conversations');
}

function detailText(c: ConversationDetail): string {
  const parts = [
    fields([
      ['id', c.id],
      ['title', `${c.emoji ? `${c.emoji} ` : ''}${c.title}`],
      ['category', c.category],
      ['source', orDash(c.source)],
      ['language', orDash(c.language)],
      ['started', orDash(c.startedAt)],
      ['finished', orDash(c.finishedAt)],
      ['origin', c.origin],
      ['deleted', orDash(c.deletedAt)],
    ]),
  ];
  if (c.overview) parts.push(`overview\n${indent(c.overview)}`);
  if (c.actionItems.length) {
    const items = c.actionItems.map((a) => `[${a.completed ? 'x' : ' '}] ${a.description}`);
    parts.push(`action items\n${indent(items.join('\n'))}`);
  }
  if (c.events.length)
    parts.push(`events\n${indent(c.events.map((e) => `${orDash(e.start)}  ${e.title}`).join('\n'))}`);
  const lines = c.segments.map((s) => [
    clock(s.start),
    s.isUser ? 'me' : (s.speaker ?? `speaker ${s.speakerId ?? '?'}`),
    s.text,
  ]);
  parts.push(`transcript (${c.segments.length} segments)${lines.length ? `\n${indent(table(lines))}` : ''}`);
  return parts.join('\n\n');
}

export function registerConversation(program: Command, ctx: CliContext): void {
  const conversation = program.command('conversation').description('read conversations and their transcripts');

  withPage(withProfile(conversation.command('list').description('list conversations, newest first')))
    .option('--trash', 'list the trash instead')
    .action(async (opts: ProfileOption & PageOptions & { trash?: boolean }) => {
      const profileId = await ctx.unlock(opts.profile);
      const { limit, offset } = opts;
      const query = { profileId, trash: opts.trash === true, limit, offset };
      const page = unwrap(await ctx.host().core.invoke('conversations.list', query, ACTOR));
      ctx.out().result(page, (p) => listText(p, offset));
    });

  withProfile(conversation.command('get').description('show a conversation with its transcript'))
    .argument('<id>', 'conversation id')
    .action(async (id: string, opts: ProfileOption) => {
      const profileId = await ctx.unlock(opts.profile);
      ctx.out().result(unwrap(await ctx.host().core.invoke('conversations.get', { profileId, id }, ACTOR)), detailText);
    });
}
