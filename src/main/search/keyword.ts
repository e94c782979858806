// Keyword search: FTS5 bm25 over memories, conversation titles/overviews and transcript segments,
// with filters, snippets and highlight offsets.
//
// Why the candidate cap: bm25 scores every row that matches, so a common word (tens of thousands of
// matches) costs 60-190 ms at 100k rows (ENVIRONMENT.md), and ten times that at a million. FTS5 walks
// matches in descending rowid order cheaply, so each kind takes its newest cap+1 matches (filters
// included) in that order, with their bm25, and they are ranked here. Rowids grow with insertion, so
// a very common query ranks its `cap` most recent matches, which is what a person searching a
// lifetime of notes for "coffee" usually wants, and the cost is bounded by the cap instead of by the
// vault. Queries with fewer matches are ranked exactly. Every hit says whether its kind was capped.
// FTS5's bm25() walks each term's whole doclist for its IDF on every query, so when a term matches
// more than SCORE_HERE_ABOVE rows the capped rows are scored by bm25.ts instead (same formula); then
// nothing here grows with the vault except prefix terms (FTS5 merges the doclists of all the words a
// prefix covers).
//
// Only the page's rows get a snippet (one MATCH each), and a prefix term is expanded to the row's own
// words first (snippetMatch), so type-ahead does not re-merge a prefix's doclists for every row.
//
// Scores from the three FTS tables are merged as they are: bm25 normalises by document length and
// corpus statistics of its own table, so the scales are comparable enough for one list; conversation
// titles weigh twice their overview.
import type { SearchFilters, SearchHit, SearchKind } from '../../shared/models';
import { AppError } from '../errors';
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import { bm25, corpus, scoredTerms } from './bm25';
import { parseQuery, type ParsedQuery, type ParsedTerm } from './query';
import { catchUpSegmentIndex } from './segment-index';

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
  /** Set when transcript segments written recently are not all searchable yet (segment-index.ts). */
  indexing?: boolean;
}

export interface KindSql {
  kind: SearchKind;
  fts: string;
  from: string;
  bm25: string;
  /** The indexed columns' text (c0, c1, ...) and their bm25 weights, for bm25.ts. */
  columns: string;
  weights: number[];
  /** Columns for the detail query: id, conversation id, start/end, title, at. */
  detail: string;
  /** The indexed text of one row by pk (for expanding prefixes before a snippet). */
  text: string;
  /** The hit's id by pk, as `detail` names it. */
  id: string;
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
    columns: 'm.content AS c0',
    weights: [1],
    text: 'SELECT content FROM memories WHERE pk = ?',
    id: 'SELECT id FROM memories WHERE pk = ?',
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
    columns: 'c.title AS c0, c.overview AS c1',
    weights: [2, 1],
    text: "SELECT title || ' ' || overview FROM conversations WHERE pk = ?",
    id: 'SELECT id FROM conversations WHERE pk = ?',
    detail:
      'c.id AS id, c.id AS conversationId, NULL AS startS, NULL AS endS, c.title AS title, coalesce(c.started_at, c.created_at) AS at',
    ...CONVERSATION_FILTERS,
  },
  {
    kind: 'segment',
    fts: 'fts_segments',
    from: 'fts_segments JOIN transcript_segments s ON s.pk = fts_segments.rowid JOIN conversations c ON c.id = s.conversation_id',
    bm25: 'bm25(fts_segments)',
    columns: 's.text AS c0',
    weights: [1],
    text: 'SELECT text FROM transcript_segments WHERE pk = ?',
    id: "SELECT conversation_id || '#' || idx FROM transcript_segments WHERE pk = ?",
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

/** Above this many rows for one term, FTS5's bm25() (which walks them all, ~50 ns each) costs more
 * than scoring the capped rows here (bm25.ts, ~5 µs each). Measured on the 1,000,000-memory bench
 * vault: "the" in 950k memories, FTS5 46 ms against 14 ms here; in 95k conversations, 5 ms against
 * 20 ms here. */
export const SCORE_HERE_ABOVE = 200_000;

/** One kind's ranked matches: its `want` best among its newest `cap`, and whether it had more. */
export interface RankedKind {
  capped: boolean;
  ranked: { pk: number; score: number }[];
}

/** Ranks one kind's matches (the search worker runs this too, on its own connection). */
export function rankKind(db: Db, k: KindSql, q: ParsedQuery, where: Where, want: number, cap: number): RankedKind {
  const terms = scoredTerms(db, k.fts, q.terms, cap);
  const here = terms.some((t) => t.hits > SCORE_HERE_ABOVE);
  // The newest cap+1 matches, walked in rowid order (FTS5's cheap direction), ranked below.
  const rows = stmt(
    db,
    `SELECT ${k.fts}.rowid AS pk, ${here ? k.columns : `${k.bm25} AS score`} FROM ${k.from}
     WHERE ${k.fts} MATCH ?${where.sql} ORDER BY ${k.fts}.rowid DESC LIMIT ?`,
  ).all(q.match, ...where.params, cap + 1) as { pk: number; score?: number; c0?: string; c1?: string }[];
  const capped = rows.length > cap;
  if (capped) rows.pop();
  let ranked: { pk: number; score: number }[];
  if (here) {
    const { avgLength } = corpus(db, k.fts);
    ranked = rows.map((r) => ({ pk: r.pk, score: bm25(terms, [r.c0 ?? null, r.c1 ?? null], k.weights, avgLength) }));
  } else ranked = rows as { pk: number; score: number }[];
  ranked.sort((a, b) => a.score - b.score || b.pk - a.pk);
  return { capped, ranked: ranked.slice(0, want) };
}

const fold = (w: string) => w.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
const TOKEN = /[\p{L}\p{N}\p{M}]+/gu;

/**
 * The MATCH used for one row's snippet. A prefix term makes FTS5 merge the doclists of every word
 * with that prefix, on every statement (2 ms a row at 100k memories for "mee*"), so each one-word
 * prefix is replaced by the row's own words that start with it, which FTS5 looks up directly.
 * Exclusions are dropped: they highlight nothing and the row is known to match.
 */
function snippetMatch(db: Db, k: KindSql, terms: ParsedTerm[], match: string, pk: number): string {
  if (!terms.some((t) => t.prefix && !t.negated && t.words.length === 1)) return match;
  const text = (stmt(db, k.text).pluck().get(pk) as string | undefined) ?? '';
  const words = [...new Set((text.match(TOKEN) ?? []).map(fold))];
  const parts: string[] = [];
  for (const t of terms) {
    if (t.negated) continue;
    const quoted = `"${t.words.join(' ')}"`;
    if (!t.prefix) parts.push(quoted);
    else if (t.words.length > 1) parts.push(`${quoted}*`);
    else {
      const start = fold(t.words[0]!);
      const found = words.filter((w) => w.startsWith(start));
      parts.push(found.length > 0 ? `(${found.map((w) => `"${w}"`).join(' OR ')})` : `${quoted}*`);
    }
  }
  return parts.join(' AND ');
}

/** Snippet and item columns of one ranked row. Only the rows of the page get here: snippet() and a
 * MATCH per row are the expensive part of a page. */
function detail(db: Db, k: KindSql, terms: ParsedTerm[], match: string, pk: number): DetailRow {
  const sql = `SELECT ${k.detail}, snippet(${k.fts}, -1, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS snippet
     FROM ${k.from} WHERE ${k.fts} MATCH ? AND ${k.fts}.rowid = ?`;
  const row = stmt(db, sql).get(snippetMatch(db, k, terms, match, pk), pk) as DetailRow | undefined;
  // The expansion cannot miss a matching row, but the original expression is the safe answer if it did.
  return row ?? (stmt(db, sql).get(match, pk) as DetailRow);
}

/** Page cache a searching connection keeps, in KiB (SQLite's default here is ~16 MB). */
const SEARCH_CACHE_KIB = 131_072;
const cached = new WeakSet<Db>();

/**
 * Gives the connection a page cache that holds what a search touches. Every page read from the
 * encrypted file is decrypted again, and a query over three FTS tables, their content rows and the
 * vector pages overflows 16 MB: on the 1,000,000-memory bench vault "the passport" took ~70 ms over
 * all kinds with the default and ~35 ms with 128 MB. SQLite fills the cache only as pages are read.
 */
export function useSearchCache(db: Db): void {
  if (cached.has(db)) return;
  cached.add(db);
  const current = db.pragma('cache_size', { simple: true }) as number;
  // A negative size is in KiB, a positive one in pages: only ever grow it.
  const kib = current < 0 ? -current : current * 4;
  if (kib < SEARCH_CACHE_KIB) db.pragma(`cache_size = -${SEARCH_CACHE_KIB}`);
}

/** A ranked match before its snippet and item columns are read (those cost a MATCH each). */
export interface KeywordCandidate {
  k: KindSql;
  pk: number;
  bm25: number;
  capped: boolean;
  /** 1-based, over all kinds. */
  rank: number;
}

export interface KeywordRanking {
  match: string;
  terms: ParsedTerm[];
  filters: string[];
  /** The first offset + limit candidates, best first. */
  candidates: KeywordCandidate[];
  indexing: boolean;
}

/** Ranks one kind elsewhere (the search worker, ranker.ts); rankKeywordWith runs it beside the rest. */
export type RankElsewhere = (
  kind: SearchKind,
  q: ParsedQuery,
  where: Where,
  want: number,
  cap: number,
) => Promise<RankedKind>;

interface RankingPlan {
  parsed: ParsedQuery;
  filters: string[];
  want: number;
  cap: number;
  caughtUp: boolean;
  kinds: { k: KindSql; where: Where }[];
}

function plan(db: Db, args: KeywordArgs): RankingPlan | KeywordRanking {
  useSearchCache(db);
  const parsed = parseQuery(args.query, { prefix: args.prefix });
  const { match, terms } = parsed;
  const filters = activeFilters(args.filters);
  if (match === '') return { match, terms, filters, candidates: [], indexing: false };
  // Segments are indexed in the background: a small tail is brought up to date here first.
  const { caughtUp } = catchUpSegmentIndex(db);
  const kinds: RankingPlan['kinds'] = [];
  for (const k of KINDS) {
    const where = whereFor(k, args.filters);
    if (where) kinds.push({ k, where });
  }
  const want = args.offset + args.limit;
  return { parsed, filters, want, cap: args.cap ?? DEFAULT_CANDIDATE_CAP, caughtUp, kinds };
}

function merge(p: RankingPlan, results: RankedKind[]): KeywordRanking {
  const all: Omit<KeywordCandidate, 'rank'>[] = [];
  p.kinds.forEach(({ k }, i) => {
    const { capped, ranked } = results[i]!;
    for (const r of ranked) all.push({ k, pk: r.pk, bm25: r.score, capped });
  });
  // bm25 is negative, lower is better; ties keep the newest (highest pk) first.
  all.sort((a, b) => a.bm25 - b.bm25 || b.pk - a.pk);
  const candidates = all.slice(0, p.want).map((c, i) => ({ ...c, rank: i + 1 }));
  const { match, terms } = p.parsed;
  return { match, terms, filters: p.filters, candidates, indexing: !p.caughtUp };
}

/** Ranks matches of every kind without reading their details: hybrid search fuses these and then
 * reads details only for the page it shows. */
export function rankKeyword(db: Db, args: KeywordArgs): KeywordRanking {
  const p = plan(db, args);
  if (!('kinds' in p)) return p;
  return merge(
    p,
    p.kinds.map(({ k, where }) => rankKind(db, k, p.parsed, where, p.want, p.cap)),
  );
}

/**
 * rankKeyword with the kinds in `offload` ranked by `elsewhere` while this thread ranks the others.
 * Same result; a kind whose ranking elsewhere fails is ranked here instead. The call returns once
 * this thread's share is done (its first await), so a caller can do more work before awaiting it.
 */
export async function rankKeywordWith(
  db: Db,
  args: KeywordArgs,
  elsewhere: RankElsewhere,
  offload: readonly SearchKind[],
): Promise<KeywordRanking> {
  const p = plan(db, args);
  if (!('kinds' in p)) return p;
  const away = p.kinds.map(({ k, where }) =>
    offload.includes(k.kind) ? elsewhere(k.kind, p.parsed, where, p.want, p.cap) : null,
  );
  const local = (i: number) => rankKind(db, p.kinds[i]!.k, p.parsed, p.kinds[i]!.where, p.want, p.cap);
  const here = away.map((a, i) => (a ? null : local(i)));
  const results = await Promise.all(away.map((a, i) => (a ? a.catch(() => local(i)) : Promise.resolve(here[i]!))));
  return merge(p, results);
}

/** The id a candidate's hit will carry (what fusion matches semantic hits on), by pk alone. */
export function candidateId(db: Db, c: KeywordCandidate): string {
  return stmt(db, c.k.id).pluck().get(c.pk) as string;
}

/** A candidate with its snippet and item columns. */
export function keywordHit(db: Db, ranking: KeywordRanking, c: KeywordCandidate): KeywordHit {
  const row = detail(db, c.k, ranking.terms, ranking.match, c.pk);
  return {
    kind: c.k.kind,
    id: row.id,
    conversationId: row.conversationId,
    startS: row.startS,
    endS: row.endS,
    title: row.title,
    at: row.at,
    snippet: parseSnippet(row.snippet),
    score: -c.bm25,
    explain: {
      keyword: { rank: c.rank, bm25: c.bm25 },
      vector: null,
      fused: null,
      filters: ranking.filters,
      capped: c.capped,
    },
  };
}

/** The page of a ranking from `offset`, with snippets. */
export function keywordPage(db: Db, ranking: KeywordRanking, offset: number): KeywordResult {
  const items = ranking.candidates.slice(offset).map((c) => keywordHit(db, ranking, c));
  const { match, indexing } = ranking;
  return indexing ? { match, items, indexing } : { match, items };
}

export function keywordSearch(db: Db, args: KeywordArgs): KeywordResult {
  return keywordPage(db, rankKeyword(db, args), args.offset);
}
