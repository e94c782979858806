// BM25 over a bounded set of FTS5 matches, computed here instead of by FTS5's bm25().
//
// Why: FTS5's bm25() learns each term's document frequency by walking the term's whole doclist once
// per query (xQueryPhrase), so a query containing "the" costs ~50 ns for every row that contains it,
// even when only a couple of thousand newest matches are ranked (keyword.ts): ~50 ms per FTS table
// at a million rows. Here the document frequency comes from a walk of at most cap+1 matches (exact
// below the cap; above it, estimated from how densely the term fills the newest rows), the row count
// and average length from FTS5's own averages record, and term frequencies from the matched rows'
// text. The formula, k1 = 1.2, b = 0.75, the IDF floor and the column weights are FTS5's, so scores
// read like bm25() (negative, lower is better) and rank the same way up to tokenizing details (a
// document's length is counted in whitespace-separated words).
import type { Db } from '../db/open';
import { stmt } from '../db/prepared';
import type { ParsedTerm } from './query';

const K1 = 1.2;
const B = 0.75;

/** FTS5 varint (SQLite's format): 7 bits per byte, high bit continues, the 9th byte is whole. */
function varints(blob: Buffer): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < blob.length) {
    let v = 0;
    let n = 0;
    for (;;) {
      const byte = blob[i++]!;
      if (n === 8) {
        v = v * 256 + byte;
        break;
      }
      v = v * 128 + (byte & 0x7f);
      n++;
      if (!(byte & 0x80)) break;
    }
    out.push(v);
  }
  return out;
}

/** Rows in the index and their average length in tokens (all columns), from FTS5's averages record. */
export function corpus(db: Db, fts: string): { rows: number; avgLength: number } {
  const blob = stmt(db, `SELECT block FROM ${fts}_data WHERE id = 1`).pluck().get() as Buffer | undefined;
  if (!blob || blob.length === 0) return { rows: 0, avgLength: 1 };
  const [rows = 0, ...totals] = varints(blob);
  const total = totals.reduce((a, b) => a + b, 0);
  return { rows, avgLength: rows > 0 && total > 0 ? total / rows : 1 };
}

/** How many rows match `expression`: exact up to `cap`, estimated from density above it. */
export function documentFrequency(db: Db, fts: string, expression: string, cap: number, rows: number): number {
  const walked = stmt(db, `SELECT rowid FROM ${fts} WHERE ${fts} MATCH ? ORDER BY rowid DESC LIMIT ?`)
    .pluck()
    .all(expression, cap + 1) as number[];
  if (walked.length <= cap) return walked.length;
  const newest = stmt(db, `SELECT rowid FROM ${fts} ORDER BY rowid DESC LIMIT 1`).pluck().get() as number;
  const span = Math.max(1, newest - walked.at(-1)! + 1);
  return Math.min(rows, Math.max(walked.length, Math.round((walked.length / span) * rows)));
}

/** The combining marks NFKD leaves, as unicode61's remove_diacritics drops them. Explicit ranges: a
 * class of BMP ranges runs several times faster in V8 than \p{M} with the u flag. */
// eslint-disable-next-line no-misleading-character-class -- ranges of combining marks, on purpose
const MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a]/g;
const NON_ASCII = /[^\0-\x7f]/;

/** Lower case without diacritics, as unicode61 remove_diacritics folds (ASCII text skips NFKD). */
function fold(text: string): string {
  const lower = text.toLowerCase();
  return NON_ASCII.test(lower) ? lower.normalize('NFKD').replace(MARKS, '') : lower;
}

const WORDISH = /[\p{L}\p{N}]/u;
/** Whether the character at `at` belongs to a word (ASCII without a regex: this runs per match). */
function isWordChar(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (Number.isNaN(c)) return false;
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
  return WORDISH.test(text[at]!);
}

/** Occurrences of the term in folded text, at word boundaries (a prefix only needs the left one). */
function frequency(text: string, needle: string, prefix: boolean): number {
  let n = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    if (at > 0 && isWordChar(text, at - 1)) continue;
    if (!prefix && isWordChar(text, at + needle.length)) continue;
    n++;
  }
  return n;
}

const OTHER_SPACE = /[\n\t\r]/;

/** Words in the text, counted as runs of non-space characters. Text separated by plain spaces alone
 * (nearly all of it) is counted with indexOf, ~2x faster than a loop over every character. */
function wordCount(text: string): number {
  let n = 0;
  if (!OTHER_SPACE.test(text)) {
    for (let i = 0; i < text.length;) {
      const space = text.indexOf(' ', i);
      const end = space === -1 ? text.length : space;
      if (end > i) n++;
      i = end + 1;
    }
    return n;
  }
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

export interface ScoredTerm {
  needle: string;
  prefix: boolean;
  /** Rows matching the term (estimated above the cap). */
  hits: number;
  idf: number;
}

/** The positive terms of a query with their IDF for one FTS table. */
export function scoredTerms(db: Db, fts: string, terms: ParsedTerm[], cap: number): ScoredTerm[] {
  const { rows } = corpus(db, fts);
  return terms
    .filter((t) => !t.negated)
    .map((t) => {
      const expression = `"${t.words.join(' ')}"${t.prefix ? '*' : ''}`;
      const hits = documentFrequency(db, fts, expression, cap, rows);
      const idf = Math.log((rows - hits + 0.5) / (hits + 0.5));
      return { needle: fold(t.words.join(' ')), prefix: t.prefix, hits, idf: idf > 0 ? idf : 1e-6 };
    });
}

/** bm25 of one row (its columns' text, with the columns' weights), as FTS5 would report it. */
export function bm25(terms: ScoredTerm[], columns: (string | null)[], weights: number[], avgLength: number): number {
  const folded: string[] = [];
  let length = 0;
  for (const c of columns) {
    const f = fold(c ?? '');
    folded.push(f);
    length += wordCount(f);
  }
  let score = 0;
  for (const t of terms) {
    let tf = 0;
    for (let i = 0; i < folded.length; i++) tf += (weights[i] ?? 1) * frequency(folded[i]!, t.needle, t.prefix);
    score += (t.idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * length) / avgLength));
  }
  return -score;
}
