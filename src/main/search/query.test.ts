import Database from 'better-sqlite3-multiple-ciphers';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_TERMS, parseQuery } from './query';

// The same tokenizer as the vault's FTS tables (migration 0010).
const db = new Database(':memory:');
db.exec(`CREATE VIRTUAL TABLE t USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2')`);
const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
for (const body of [
  'coffee with Dana about pricing',
  'the balcony tomatoes need water',
  'send the e-mail to Dana before Thursday',
  'café crème at the corner',
  '東京駅で会議',
  'NOT AND OR NEAR are words too',
]) {
  insert.run(body);
}
const select = db.prepare('SELECT body FROM t WHERE t MATCH ? ORDER BY rowid');
afterAll(() => db.close());

const run = (query: string, prefix = false): string[] => {
  const { match } = parseQuery(query, { prefix });
  return match === '' ? [] : (select.all(match) as { body: string }[]).map((r) => r.body);
};

describe('parseQuery', () => {
  it('ANDs bare words and quotes each one', () => {
    expect(parseQuery('coffee dana').match).toBe('"coffee" AND "dana"');
    expect(run('Dana coffee')).toEqual(['coffee with Dana about pricing']);
  });

  it('keeps phrases in order and adjacent', () => {
    expect(run('"with dana"')).toEqual(['coffee with Dana about pricing']);
    expect(run('"dana with"')).toEqual([]);
  });

  it('excludes -words and -"phrases"', () => {
    expect(run('dana -coffee')).toEqual(['send the e-mail to Dana before Thursday']);
    expect(run('dana -"about pricing"')).toEqual(['send the e-mail to Dana before Thursday']);
    expect(parseQuery('dana coffee -x -y').match).toBe('("dana" AND "coffee") NOT "x" NOT "y"');
  });

  it('matches nothing for exclusions alone instead of failing', () => {
    expect(parseQuery('-coffee').match).toBe('');
  });

  it('supports explicit prefixes and type-ahead on the last word', () => {
    expect(run('tomat*')).toEqual(['the balcony tomatoes need water']);
    expect(run('balcony tomat')).toEqual([]);
    expect(run('balcony tomat', true)).toEqual(['the balcony tomatoes need water']);
    // A trailing space means the word is finished.
    expect(parseQuery('balcony tomat ', { prefix: true }).match).toBe('"balcony" AND "tomat"');
    // An exclusion is never the type-ahead word.
    expect(parseQuery('dana -cof', { prefix: true }).match).toBe('"dana" NOT "cof"');
    // One letter is a word until a second one is typed.
    expect(parseQuery('balcony t', { prefix: true }).match).toBe('"balcony" AND "t"');
    expect(parseQuery('balcony to', { prefix: true }).match).toBe('"balcony" AND "to"*');
  });

  it('splits words the tokenizer splits into a phrase', () => {
    expect(parseQuery('e-mail').match).toBe('"e mail"');
    expect(run('e-mail')).toEqual(['send the e-mail to Dana before Thursday']);
  });

  it('folds diacritics like the index does', () => {
    expect(run('cafe creme')).toEqual(['café crème at the corner']);
  });

  it('treats operator words as plain words', () => {
    expect(run('NOT AND')).toEqual(['NOT AND OR NEAR are words too']);
    expect(run('near')).toEqual(['NOT AND OR NEAR are words too']);
  });

  it('searches a CJK run by its beginning', () => {
    expect(run('東京')).toEqual(['東京駅で会議']);
  });

  it('drops punctuation and syntax characters', () => {
    expect(parseQuery('":* ( ) ^ + {}').match).toBe('');
    expect(run('(coffee) dana! "Dana')).toEqual(['coffee with Dana about pricing']);
  });

  it('bounds the number of terms', () => {
    expect(parseQuery(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')).terms).toHaveLength(MAX_TERMS);
  });

  it('turns any input into a valid expression or an empty query', () => {
    const syntax = fc.constantFrom('"', '-', '*', '(', ')', ':', '^', '+', ' ', 'NOT', 'AND', 'OR', 'NEAR', '\u0000');
    const piece = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      syntax,
      fc.constantFrom('café', '東京', 'e-mail'),
    );
    const input = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.array(piece, { maxLength: 12 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(input, fc.boolean(), (text, prefix) => {
        const { match } = parseQuery(text, { prefix });
        if (match !== '') expect(() => select.all(match)).not.toThrow();
      }),
      { numRuns: 2_000 },
    );
  });
});
