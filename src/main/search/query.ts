// Turns what the user typed into a safe FTS5 MATCH expression. Raw text never reaches MATCH: the
// parser keeps only letters, marks and digits of each word (the characters unicode61 indexes), wraps
// every word or phrase in double quotes and joins them with FTS5 operators it writes itself, so any
// input yields either a valid expression or an empty query, never an SQLite syntax error.
//
// Syntax understood (a small, forgiving subset of what search boxes usually accept):
//   word            must appear (all positive terms are ANDed)
//   "two words"     phrase: the words in this order, adjacent
//   -word  -"a b"   exclusion: results must not contain it
//   word*           prefix: any word starting with "word"
// With `prefix: true` (type-ahead) the last positive bare word is a prefix too, unless the input ends
// in whitespace (the user finished that word) or the word is a single character: the keyword indexes
// keep prefix indexes for 2 to 4 characters (migration 0080), and one letter would merge the doclists
// of a good part of the vocabulary on every keystroke to match nearly every row anyway.
//
// A bare word that unicode61 would split (e-mail, 10:30, o'clock) becomes a phrase of its pieces, which
// is what FTS5 does with such text when indexing. CJK text has no spaces, so unicode61 indexes a whole
// run of ideographs as one token; a CJK word is therefore searched as a prefix so that typing the
// beginning of a run finds it. Matching inside a run would need a trigram index (not built yet).

export interface ParsedTerm {
  /** The indexed words of this term, in order. */
  words: string[];
  phrase: boolean;
  prefix: boolean;
  negated: boolean;
}

export interface ParsedQuery {
  terms: ParsedTerm[];
  /** The FTS5 MATCH expression, or '' when nothing searchable remains (then nothing matches). */
  match: string;
}

// \p{M} keeps combining marks with their base letter; unicode61 treats them as token characters too.
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** Long inputs are pasted text, not queries; bounding the terms bounds the cost of the MATCH. */
export const MAX_TERMS = 32;
const MAX_WORD_LENGTH = 64;

function wordsOf(text: string): string[] {
  return (text.match(WORD) ?? []).map((w) => w.slice(0, MAX_WORD_LENGTH));
}

/** Splits the input into raw pieces: quoted phrases (a missing closing quote ends at the end) and bare words. */
function lex(input: string): { text: string; quoted: boolean; negated: boolean; star: boolean }[] {
  const pieces: { text: string; quoted: boolean; negated: boolean; star: boolean }[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/u.test(ch)) {
      i++;
      continue;
    }
    let negated = false;
    if (ch === '-' && i + 1 < input.length && !/\s/u.test(input[i + 1]!)) {
      negated = true;
      i++;
    }
    if (input[i] === '"') {
      const close = input.indexOf('"', i + 1);
      const end = close === -1 ? input.length : close;
      const text = input.slice(i + 1, end);
      i = end + 1;
      const star = input[i] === '*';
      if (star) i++;
      pieces.push({ text, quoted: true, negated, star });
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/u.test(input[j]!) && input[j] !== '"') j++;
    let text = input.slice(i, j);
    const star = text.endsWith('*');
    if (star) text = text.replace(/\*+$/u, '');
    pieces.push({ text, quoted: false, negated, star });
    i = j;
  }
  return pieces;
}

/** An FTS5 string: only letters, marks and digits reach here, so quoting cannot be broken. */
const quote = (words: string[]) => `"${words.join(' ')}"`;

function termExpression(t: ParsedTerm): string {
  return t.prefix ? `${quote(t.words)}*` : quote(t.words);
}

/** Characters the type-ahead word needs before it is searched as a prefix. */
export const MIN_TYPE_AHEAD = 2;

export function parseQuery(input: string, options: { prefix?: boolean } = {}): ParsedQuery {
  const terms: ParsedTerm[] = [];
  for (const piece of lex(input)) {
    const words = wordsOf(piece.text);
    if (words.length === 0) continue;
    const cjk = words.length === 1 && CJK.test(words[0]!);
    terms.push({
      words,
      phrase: piece.quoted || words.length > 1,
      prefix: piece.star || (cjk && !piece.negated),
      negated: piece.negated,
    });
    if (terms.length >= MAX_TERMS) break;
  }
  if (options.prefix && !/\s$/u.test(input)) {
    const last = terms.findLast((t) => !t.negated);
    const lastPiece = lex(input).at(-1);
    const long = last && (last.words.length > 1 || [...last.words[0]!].length >= MIN_TYPE_AHEAD);
    if (last && long && last === terms.at(-1) && lastPiece && !lastPiece.quoted) last.prefix = true;
  }
  const positive = terms.filter((t) => !t.negated);
  // FTS5 has no unary NOT: a query of exclusions alone cannot be asked, so it matches nothing.
  if (positive.length === 0) return { terms, match: '' };
  const negative = terms.filter((t) => t.negated);
  let match = positive.map(termExpression).join(' AND ');
  if (negative.length > 0) {
    if (positive.length > 1) match = `(${match})`;
    match += negative.map((t) => ` NOT ${termExpression(t)}`).join('');
  }
  return { terms, match };
}
