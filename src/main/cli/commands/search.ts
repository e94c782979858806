// `search --profile N QUERY [--mode keyword|semantic|hybrid] [--limit K]` (DESIGN.md §11): ranked
// results with ids, kind, snippet and scores, through the `search.query` channel. Highlights are shown
// as [brackets] in text output; --json carries their offsets.
// `embed --profile N [--batch B] [--max N]`: drains the profile's embedding queue once (a fresh sweep
// queues whatever lacks a current vector), progress on stderr; safe to interrupt and run again
// (src/main/search/relay.ts). Exits 1 when the provider failed and work is left waiting.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { SearchKind, SearchMode, type SearchHit, type SearchResponse } from '../../../shared/models';
import { AppError } from '../../errors';
import { ACTOR, type CliContext } from '../context';
import { table } from '../format';
import { unwrap } from '../output';
import { collect, withProfile, type ProfileOption } from '../options';

interface SearchOptions extends ProfileOption {
  mode: SearchResponse['mode'];
  limit: number;
  offset: number;
  kind?: SearchHit['kind'][];
  category?: string[];
  tag?: string[];
  source?: string[];
  from?: string;
  to?: string;
  starred?: boolean;
  trash?: boolean;
  prefix?: boolean;
}

function whole(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

function marked(s: SearchHit['snippet']): string {
  let out = '';
  let at = 0;
  for (const [start, end] of s.highlights) {
    out += `${s.text.slice(at, start)}[${s.text.slice(start, end)}]`;
    at = end;
  }
  return (out + s.text.slice(at)).replace(/\s+/g, ' ').trim();
}

function where(h: SearchHit): string {
  if (h.kind !== 'segment') return h.id;
  const seconds = Math.floor(h.startS ?? 0);
  const mmss = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  return `${h.id} @${mmss}`;
}

function resultText(r: SearchResponse): string {
  const lines: string[] = [];
  if (r.notice) lines.push(`note: ${r.notice}`);
  if (r.items.length === 0) return [...lines, 'no results'].join('\n');
  const rows = r.items.map((h) => [
    String(h.explain.keyword?.rank ?? h.explain.vector?.rank ?? ''),
    h.kind,
    where(h),
    h.score.toFixed(3),
    marked(h.snippet),
  ]);
  lines.push(table([['#', 'KIND', 'ID', 'SCORE', 'SNIPPET'], ...rows]));
  return lines.join('\n');
}

export function registerSearch(program: Command, ctx: CliContext): void {
  withProfile(program.command('search').description('search memories, conversations and transcripts'))
    .argument('<query>', 'words, "phrases", -exclusions and prefix* terms')
    .addOption(new Option('--mode <mode>', 'how to search').choices(SearchMode.options).default('keyword'))
    .option('--limit <n>', 'how many results (1-200)', whole(1, 200), 20)
    .option('--offset <n>', 'how many results to skip', whole(0, 10_000), 0)
    .addOption(
      new Option('--kind <kind>', 'only this kind (repeat for more)').choices(SearchKind.options).argParser(collect),
    )
    .addOption(new Option('--category <category>', 'only this category (repeat for more)').argParser(collect))
    .addOption(new Option('--tag <tag>', 'only memories with this tag (repeat: all of them)').argParser(collect))
    .addOption(new Option('--source <source>', "a conversation's source or a memory's origin").argParser(collect))
    .option('--from <date>', 'on or after this date or timestamp')
    .option('--to <date>', 'on or before this date or timestamp')
    .option('--starred', 'only starred conversations and their transcripts')
    .option('--trash', 'include the trash')
    .option('--prefix', 'treat the last word as a prefix (type-ahead)')
    .action(async (query: string, opts: SearchOptions) => {
      const profileId = await ctx.unlock(opts.profile);
      const filters = {
        kinds: opts.kind,
        categories: opts.category,
        tags: opts.tag,
        sources: opts.source,
        from: opts.from,
        to: opts.to,
        starred: opts.starred,
        includeTrash: opts.trash === true,
      };
      const input = {
        profileId,
        query,
        mode: opts.mode,
        filters,
        prefix: opts.prefix === true,
        limit: opts.limit,
        offset: opts.offset,
      };
      ctx.out().result(unwrap(await ctx.host().core.invoke('search.query', input, ACTOR)), resultText);
    });
}

export function registerEmbed(program: Command, ctx: CliContext): void {
  withProfile(program.command('embed').description("embed what is new or changed with the profile's provider"))
    .option('--batch <n>', 'texts per provider call (1-250)', whole(1, 250), 64)
    .option('--max <n>', 'stop after this many items', whole(0, Number.MAX_SAFE_INTEGER))
    .action(async (opts: ProfileOption & { batch: number; max?: number }) => {
      const profileId = await ctx.unlock(opts.profile);
      const search = ctx.host().core.search;
      const pending = search.status(profileId).pending;
      const report = await search.embed(profileId, {
        batchSize: opts.batch,
        maxItems: opts.max,
        onProgress: (n) => void ctx.io.stderr.write(`embedded ${n} of ${pending}\n`),
      });
      if (report.error) {
        throw new AppError(
          report.error.code,
          `embedding stopped after ${report.embedded} items: ${report.error.message}`,
        );
      }
      const after = search.status(profileId);
      const queue = search.relay.status(profileId);
      const result = {
        ...report,
        remaining: after.pending,
        backlog: queue.backlog,
        deadLetters: queue.deadLetters,
        today: after.today,
      };
      ctx.out().result(result, (r) => {
        const paused = r.paused ? ' Paused: the daily budget (embedding.dailyCharacters) is spent.' : '';
        const dead = r.deadLetters > 0 ? ` ${r.deadLetters} jobs gave up (dead letters).` : '';
        return `Embedded ${r.embedded} items with ${r.model} (${r.calls} calls, ${r.characters} characters); ${r.remaining} pending; today ${r.today.characters} characters.${paused}${dead}`;
      });
    });
}
