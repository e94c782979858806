import { describe, expect, it } from 'vitest';
import { pagesFor } from './paged';

describe('pagesFor', () => {
  it('covers a window inside one page', () => expect(pagesFor(3, 40, 200)).toEqual([0]));
  it('covers a window across a page boundary', () => expect(pagesFor(190, 215, 200)).toEqual([0, 1]));
  it('covers the very end of a 100,000-row list with one page', () =>
    expect(pagesFor(99_980, 99_999, 200)).toEqual([499]));
  it('is empty for an empty window', () => expect(pagesFor(0, -1, 200)).toEqual([]));
});
