import { describe, expect, it } from 'vitest';
import { splitHighlights } from './highlight';

describe('splitHighlights', () => {
  it('marks the given ranges', () =>
    expect(splitHighlights('oat milk in coffee', [[4, 8]])).toEqual([
      { text: 'oat ', hit: false },
      { text: 'milk', hit: true },
      { text: ' in coffee', hit: false },
    ]));
  it('sorts, clamps and merges overlapping ranges', () =>
    expect(
      splitHighlights('abcdef', [
        [4, 99],
        [0, 2],
        [1, 3],
      ]),
    ).toEqual([
      { text: 'ab', hit: true },
      { text: 'c', hit: true },
      { text: 'd', hit: false },
      { text: 'ef', hit: true },
    ]));
  it('returns the text whole without highlights', () =>
    expect(splitHighlights('plain', [])).toEqual([{ text: 'plain', hit: false }]));
});
