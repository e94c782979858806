// Markdown export for people who keep notes in Obsidian and similar tools: a folder with one file
// per conversation (YAML front matter, overview, action items, transcript) and one `memories.md`.
// A folder, not a zip: that is what those tools open. It is written as `<out>.tmp-<random>/` and
// renamed into place, so the folder appears whole. Trashed items are left out; strings in the front
// matter are written as JSON strings, which are valid YAML double-quoted scalars.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ArchiveFilter } from '../../shared/models';
import type { Db } from '../db/open';
import { pageFilter, type Progress } from './export';
import { writeAtomically } from './files';
import type { ConversationRecord, Counts, MemoryRecord } from './format';
import { emptyCounts } from './format';
import { conversationPage, memoryPage } from './records';

const PAGE = 200;

const yamlValue = (v: string | number | boolean | null): string =>
  v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : String(v);

function frontMatter(pairs: [string, string | number | boolean | null | string[]][]): string {
  const lines = pairs.map(([k, v]) =>
    Array.isArray(v) ? `${k}: [${v.map((x) => JSON.stringify(x)).join(', ')}]` : `${k}: ${yamlValue(v)}`,
  );
  return `---\n${lines.join('\n')}\n---\n`;
}

/** mm:ss (or h:mm:ss) from seconds into the conversation. */
function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${String(mm).padStart(2, '0')}:${ss}`;
}

function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return s || 'untitled';
}

export function conversationFileName(c: ConversationRecord): string {
  const day = (c.startedAt ?? c.createdAt).slice(0, 10);
  const id = c.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 8);
  return `${day}-${slug(c.title)}-${id}.md`;
}

export function conversationMarkdown(c: ConversationRecord): string {
  // OMI labels unnamed voices SPEAKER_00, SPEAKER_01, ...; the user's own segments say "Me".
  const speaker = (g: ConversationRecord['segments'][number]) => {
    if (g.isUser) return 'Me';
    if (g.speaker && !/^SPEAKER_\d+$/.test(g.speaker)) return g.speaker;
    return g.speakerId === null ? (g.speaker ?? 'Unknown') : `Speaker ${g.speakerId}`;
  };
  const parts = [
    frontMatter([
      ['id', c.id],
      ['title', c.title],
      ['date', c.startedAt ?? c.createdAt],
      ['finished', c.finishedAt],
      ['category', c.category],
      ['emoji', c.emoji],
      ['source', c.source],
      ['language', c.language],
      ['starred', c.starred],
      ['tags', ['omi', c.category]],
    ]),
    `\n# ${c.emoji ? `${c.emoji} ` : ''}${c.title || 'Untitled conversation'}\n`,
  ];
  if (c.overview) parts.push(`\n${c.overview}\n`);
  const open = c.actionItems.filter((a) => a.deletedAt === null);
  if (open.length) {
    parts.push(
      `\n## Action items\n\n${open.map((a) => `- [${a.completed ? 'x' : ' '}] ${a.description}`).join('\n')}\n`,
    );
  }
  if (c.events.length) {
    parts.push(
      `\n## Events\n\n${c.events.map((e) => `- ${e.title}${e.start ? ` (${e.start})` : ''}${e.description ? `: ${e.description}` : ''}`).join('\n')}\n`,
    );
  }
  if (c.segments.length) {
    parts.push(
      `\n## Transcript\n\n${c.segments.map((g) => `**${speaker(g)}** (${clock(g.start)}): ${g.text}`).join('\n\n')}\n`,
    );
  }
  return parts.join('');
}

export function memoryMarkdown(m: MemoryRecord): string {
  const tags = m.tags.length ? ` ${m.tags.map((t) => `#${t.replace(/\s+/g, '-')}`).join(' ')}` : '';
  return `- ${m.content.replace(/\s*\n\s*/g, ' ')} _(${m.category}, ${m.createdAt.slice(0, 10)})_${tags}`;
}

export async function exportMarkdown(
  db: Db,
  target: string,
  options: { filter?: ArchiveFilter; onProgress?: (p: Progress) => void },
): Promise<{ counts: Counts; files: number }> {
  const filter = pageFilter(options.filter);
  const kinds = new Set(options.filter?.kinds ?? ['conversations', 'memories']);
  const counts = emptyCounts();
  let files = 0;
  return writeAtomically(target, async (tmp) => {
    mkdirSync(join(tmp, 'conversations'), { recursive: true, mode: 0o700 });
    const used = new Set<string>();
    if (kinds.has('conversations') && !filter.tags) {
      for (let after = 0; ;) {
        const { records, last } = conversationPage(db, after, PAGE, filter);
        if (records.length === 0) break;
        for (const c of records) {
          if (c.deletedAt !== null || c.discarded) continue;
          let name = conversationFileName(c);
          for (let n = 2; used.has(name); n++) name = conversationFileName(c).replace(/\.md$/, `-${n}.md`);
          used.add(name);
          writeFileSync(join(tmp, 'conversations', name), conversationMarkdown(c), { mode: 0o600 });
          counts.conversations += 1;
          counts.segments += c.segments.length;
          files += 1;
        }
        after = last;
        options.onProgress?.({ phase: 'conversations', done: counts.conversations, total: null });
        await yieldToLoop();
      }
    }
    if (kinds.has('memories')) {
      // Grouped by category, each group in creation order; collected first because the file is
      // grouped, which costs one line of text per memory.
      const groups = new Map<string, { at: string; line: string }[]>();
      for (let after = 0; ;) {
        const { records, last } = memoryPage(db, after, PAGE, filter);
        if (records.length === 0) break;
        for (const m of records) {
          if (m.deletedAt !== null) continue;
          const list = groups.get(m.category) ?? [];
          list.push({ at: `${m.createdAt} ${m.id}`, line: memoryMarkdown(m) });
          groups.set(m.category, list);
          counts.memories += 1;
        }
        after = last;
        await yieldToLoop();
      }
      const sections = [...groups.keys()].sort().map((category) => {
        const lines = groups
          .get(category)!
          .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
          .map((x) => x.line);
        return `## ${category[0]!.toUpperCase()}${category.slice(1)}\n\n${lines.join('\n')}\n`;
      });
      const body = `${frontMatter([['memories', counts.memories]])}\n# Memories\n${sections.map((s) => `\n${s}`).join('')}`;
      writeFileSync(join(tmp, 'memories.md'), body, { mode: 0o600 });
      files += 1;
    }
    return { counts, files };
  });
}
