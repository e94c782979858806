// Browse filters between the route's search params and the list channels' inputs.
import dayjs from 'dayjs';
import { describe, expect, test } from 'vitest';
import { activeFilterCount, conversationQuery, memoryQuery, parseFilters } from './filters';

describe('browse filters', () => {
  test('untrusted search params keep only well-formed filters', () => {
    expect(
      parseFilters({
        from: '2024-01-05',
        to: 'next tuesday',
        categories: ['interesting', '', 3],
        tags: 'work',
        sources: [],
        starred: 'yes',
      }),
    ).toEqual({ from: '2024-01-05', categories: ['interesting'], tags: ['work'] });
    expect(parseFilters({ starred: true })).toEqual({ starred: true });
  });

  test('days become the local start and end of day; memory-only values are filtered per list', () => {
    const f = { from: '2024-01-05', to: '2024-01-06', categories: ['interesting', 'work'], sources: ['sync', 'omi'] };
    expect(memoryQuery('p', false, f)).toEqual({
      profileId: 'p',
      trash: false,
      from: dayjs('2024-01-05').startOf('day').toISOString(),
      to: dayjs('2024-01-06').endOf('day').toISOString(),
      categories: ['interesting'],
      sources: ['sync'],
    });
    expect(conversationQuery('p', true, { ...f, starred: true, tags: ['x'] })).toEqual({
      profileId: 'p',
      trash: true,
      from: dayjs('2024-01-05').startOf('day').toISOString(),
      to: dayjs('2024-01-06').endOf('day').toISOString(),
      categories: ['interesting', 'work'],
      sources: ['sync', 'omi'],
      starred: true,
    });
    expect(memoryQuery('p', false, {})).toEqual({ profileId: 'p', trash: false });
  });

  test('the active count treats the date range as one filter', () => {
    expect(activeFilterCount({})).toBe(0);
    expect(activeFilterCount({ from: '2024-01-01', to: '2024-02-01', tags: ['a'], starred: true })).toBe(3);
  });
});
