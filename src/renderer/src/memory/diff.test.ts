import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffWords } from './diff';

const side = (parts: ReturnType<typeof diffWords>, op: 'del' | 'ins') =>
  parts
    .filter((p) => p.op !== op)
    .map((p) => p.text)
    .join('');

describe('diffWords', () => {
  it('shows an edit as the changed words only', () =>
    expect(diffWords('Prefers oat milk in coffee', 'Prefers oat milk in coffee, never soy')).toEqual([
      { text: 'Prefers oat milk in ', op: 'same' },
      { text: 'coffee', op: 'del' },
      { text: 'coffee, never soy', op: 'ins' },
    ]));
  it('is all "same" for equal texts', () =>
    expect(diffWords('a b c', 'a b c')).toEqual([{ text: 'a b c', op: 'same' }]));
  it('rebuilds both texts from its parts', () =>
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), (before, after) => {
        const parts = diffWords(before, after);
        expect(side(parts, 'ins')).toBe(before);
        expect(side(parts, 'del')).toBe(after);
      }),
    ));
});
