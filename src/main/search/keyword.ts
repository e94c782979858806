// Keyword search: FTS5 bm25 over memories, conversation titles/overviews and transcript segments,
// with filters, snippets and highlight offsets.
//
// Why the candidate cap: bm25 scores every row that matches, so a common word (tens of thousands of
// matches) costs 60-190 ms at 100k rows (ENVIRONMENT.md), and ten times that at a million. FTS5 can
// walk matches in rowid order without scoring them, so each kind first asks for the rowid of its
// (cap+1)-th newest match (filters included); when there is one, bm25 ranks only the matches above
// it. Rowids grow with insertion, so a very common query ranks its `cap` most recent matches, which is
// what a person searching a lifetime of notes for "coffee" usually wants, and the cost is bounded by
// the cap instead of by the vault. Queries with fewer matches are ranked exactly. Every hit says
// whether its kind was capped.
//
// Scores from the three FTS tables are merged as they are: bm25 normalises by document length and
// corpus statistics of its own table, so the scales are comparable enough for one list; conversation
// titles weigh twice their overview.
import type { SearchFilters, SearchHit, SearchKind } from '../../shared/models';
import { AppError } from '../errors';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { parseQuery } from './query';

export const DEFAULT_CANDIDATE_CAP = 2_000;
const SNIPPET_TOKENS = 16;
// Private-use characters mark highlights inside snippet(); they are removed and turned into offsets.
const OPEN = '\uE000';
const CLOSE = '\uE001';

export interface KeywordArgs {
  query: string;
  filters: SearchFilters;
  limit: number;
  offset: number;
  /** Type-ahead: the last word is a prefix. */
  prefix?: boolean;
  /** Matches ranked per kind at most (see the header); tests lower it. */
  cap?: number;
}

export interface KeywordHit extends SearchHit {
  explain: SearchHit['explain'] & { keyword: { rank: number; bm25: number } };
}

export interface KeywordResult {
  match: string;
  items: KeywordHit[];
}

export interface KindSql {
  kind: SearchKind;
  fts: string;
  from: string;
  bm25: string;
  /** Columns for the detail query: id, conversation id, start/end, title, at. */
  detail: string;
  /** Filter clauses; each takes exactly one bound parameter. */
  time: string;
  trash: string | null;
  category: string;
  source: string;
  tags: string | null;
  starred: string | null;
}

const CONVERSATION_FILTERS = {
  time: 'coalesce(c.started_at, c.created_at)',
  trash: 'c.deleted_at IS NULL',
  category: 'c.category',
  source: 'c.source',
  tags: null,
  starred: 'c.starred = 1',
};

export const KINDS: readonly KindSql[] = [
  {
    kind: 'memory',
    fts: 'fts_memories',
    from: 'fts_memories JOIN memories m ON m.pk = fts_memories.rowid',
    bm25: 'bm25(fts_memories)',
    detail:
      'm.id AS id, m.conversation_id AS conversationId, NULL AS startS, NULL AS endS, NULL AS title, m.created_at AS at',
    time: 'm.created_at',
    trash: 'm.deleted_at IS NULL',
    category: 'm.category',
    source: 'm.origin',
    tags: 'm.id',
    starred: null,
  },
  {
    kind: 'conversation',
    fts: 'fts_conversations',
    from: 'fts_conversations JOIN conversations c ON c.pk = fts_conversations.rowid',
    bm25: 'bm25(fts_conversations, 2.0, 1.0)',
    detail:
      'c.id AS id, c.id AS conversationId, NULL AS startS, NULL AS endS, c.title AS title, coalesce(c.started_at, c.created_at) AS at',
    ...CONVERSATION_FILTERS,
  },
  {
    kind: 'segment',
    fts: 'fts_segments',
    from: 'fts_segments JOIN transcript_segments s ON s.pk = fts_segments.rowid JOIN conversations c ON c.id = s.conversation_id',
    bm25: 'bm25(fts_segments)',
    detail:
      "c.id || '#' || s.idx AS id, c.id AS conversationId, s.start_s AS startS, s.end_s AS endS, c.title AS title, coalesce(c.started_at, c.created_at) AS at",
    ...CONVERSATION_FILTERS,
  },
];

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function boundary(value: string | undefined, end: boolean, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (Number.isNaN(Date.parse(value))) throw new AppError('BAD_INPUT', `${name}: not a date or timestamp`);
  if (DATE_ONLY.test(value)) return `${value}${end ? 'T23:59:59.999Z' : 'T00:00:00.000Z'}`;
  return new Date(value).toISOString();
}

/** Names of the filters in effect, for `explain`. */
export function activeFilters(f: SearchFilters): string[] {
  const names: string[] = [];
  if (f.from !== undefined) names.push('from');
  if (f.to !== undefined) names.push('to');
  if (f.kinds?.length) names.push('kinds');
  if (f.categories?.length) names.push('categories');
  if (f.tags?.length) names.push('tags');
  if (f.sources?.length) names.push('sources');
  if (f.starred !== undefined) names.push('starred');
  if (f.includeTrash) names.push('includeTrash');
  return names;
}

export interface Where {
  sql: string;
  params: unknown[];
}

/** The WHERE clauses for one kind, or null when the filters rule the kind out entirely. */
export function whereFor(k: KindSql, f: SearchFilters): Where | null {
  if (f.kinds?.length && !f.kinds.includes(k.kind)) return null;
  if (f.tags?.length && !k.tags) return null;
  if (f.starred === true && !k.starred) return null;
  const clauses: string[] = [];
  const params: unknown[] = [];
  const from = boundary(f.from, false, 'from');
  const to = boundary(f.to, true, 'to');
  if (from !== undefined) {
    clauses.push(`${k.time} >= ?`);
    params.push(from);
  }
  if (to !== undefined) {
    clauses.push(`${k.time} <= ?`);
    params.push(to);
  }
  if (!f.includeTrash && k.trash) clauses.push(k.trash);
  if (f.categories?.length) {
    clauses.push(`${k.category} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(f.categories));
  }
  if (f.sources?.length) {
    clauses.push(`${k.source} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(f.sources));
  }
  if (f.tags?.length && k.tags) {
    const wanted = [...new Set(f.tags.map((t) => t.trim().toLowerCase()))];
    clauses.push(
      `(SELECT count(*) FROM memory_tags mt JOIN tags t ON t.pk = mt.tag_pk
        WHERE mt.memory_id = ${k.tags} AND lower(t.name) IN (SELECT value FROM json_each(?))) = ?`,
    );
    params.push(JSON.stringify(wanted), wanted.length);
  }
  if (f.starred === false && k.starred) clauses.push(`NOT (${k.starred})`);
  else if (f.starred === true && k.starred) clauses.push(k.starred);
  return { sql: clauses.map((c) => ` AND ${c}`).join(''), params };
}

/** Strips the highlight markers snippet() wrote and returns their offsets in the remaining text. */
export function parseSnippet(marked: string): SearchHit['snippet'] {
  let text = '';
  const highlights: [number, number][] = [];
  let open = -1;
  for (const ch of marked) {
    if (ch === OPEN) open = text.length;
    else if (ch === CLOSE) {
      if (open >= 0 && text.length > open) highlights.push([open, text.length]);
      open = -1;
    } else text += ch;
  }
  return { text, highlights };
}

interface DetailRow {
  id: string;
  conversationId: string | null;
  startS: number | null;
  endS: number | null;
  title: string | null;
  at: string;
  snippet: string;
}

function searchKind(db: Db, k: KindSql, match: string, where: Where, want: number, cap: number) {
  // The (cap+1)-th newest match, walked in rowid order without scoring.
  const cutoff = stmt(
    db,
    `SELECT ${k.fts}.rowid AS r FROM ${k.from} WHERE ${k.fts} MATCH ?${where.sql} ORDER BY ${k.fts}.rowid DESC LIMIT 1 OFFSET ?`,
  ).get(match, ...where.params, cap) as { r: number } | undefined;
  const above = cutoff ? ` AND ${k.fts}.rowid > ?` : '';
  const ranked = stmt(
    db,
    `SELECT ${k.fts}.rowid AS pk, ${k.bm25} AS score FROM ${k.from}
     WHERE ${k.fts} MATCH ?${above}${where.sql} ORDER BY score LIMIT ?`,
  ).all(match, ...(cutoff ? [cutoff.r] : []), ...where.params, want) as { pk: number; score: number }[];
  const detail = stmt(
    db,
    `SELECT ${k.detail}, snippet(${k.fts}, -1, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snippet
     FROM ${k.from} WHERE ${k.fts} MATCH ? AND ${k.fts}.rowid = ?`,
  );
  return {
    capped: cutoff !== undefined,
    rows: ranked.map((r) => ({ score: r.score, row: detail.get(match, r.pk) as DetailRow })),
  };
}

export function keywordSearch(db: Db, args: KeywordArgs): KeywordResult {
  const { match } = parseQuery(args.query, { prefix: args.prefix });
  if (match === '') return { match, items: [] };
  const filters = activeFilters(args.filters);
  const want = args.offset + args.limit;
  const cap = args.cap ?? DEFAULT_CANDIDATE_CAP;
  const all: { kind: SearchKind; bm25: number; capped: boolean; row: DetailRow }[] = [];
  for (const k of KINDS) {
    const where = whereFor(k, args.filters);
    if (!where) continue;
    const { capped, rows } = searchKind(db, k, match, where, want, cap);
    for (const r of rows) all.push({ kind: k.kind, bm25: r.score, capped, row: r.row });
  }
  // bm25 is negative, lower is better; ties keep the newest first.
  all.sort((a, b) => a.bm25 - b.bm25 || b.row.at.localeCompare(a.row.at));
  const items = all.slice(args.offset, want).map((h, i): KeywordHit => {
    const rank = args.offset + i + 1;
    return {
      kind: h.kind,
      id: h.row.id,
      conversationId: h.row.conversationId,
      startS: h.row.startS,
      endS: h.row.endS,
      title: h.row.title,
      at: h.row.at,
      snippet: parseSnippet(h.row.snippet),
      score: -h.bm25,
      explain: { keyword: { rank, bm25: h.bm25 }, vector: null, fused: null, filters, capped: h.capped },
    };
  });
  return { match, items };
}
