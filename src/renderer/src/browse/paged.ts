// Windowed paging for virtualized lists: the list asks for rows by index, this hook fetches only the
// pages (limit/offset) that cover the visible window, each page its own cached query. Page 0 is always
// fetched because it carries the total that sizes the list.
import { useQueries, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';

export interface PageOf<T> {
  items: T[];
  total: number;
}

export const PAGE_SIZE = 200;

/** The page numbers covering rows [first, last] (inclusive). */
export function pagesFor(first: number, last: number, pageSize = PAGE_SIZE): number[] {
  if (last < first || first < 0) return [];
  const pages: number[] = [];
  for (let p = Math.floor(first / pageSize); p <= Math.floor(last / pageSize); p++) pages.push(p);
  return pages;
}

export function usePagedRows<T>(options: {
  key: readonly unknown[];
  fetchPage: (offset: number, limit: number) => Promise<PageOf<T>>;
  /** The row window the list shows now (from the virtualizer). */
  window: { first: number; last: number };
}) {
  const { key, fetchPage } = options;
  const first = useQuery({ queryKey: [...key, 0], queryFn: () => fetchPage(0, PAGE_SIZE) });
  const wanted = pagesFor(options.window.first, options.window.last).filter((p) => p !== 0);
  // The same pages while scrolling within them give the same query list, so the observers are not
  // rebuilt on every scroll frame.
  const wantedKey = wanted.join(',');
  const queries = useMemo(
    () =>
      wanted.map((page) => ({
        queryKey: [...key, page],
        queryFn: () => fetchPage(page * PAGE_SIZE, PAGE_SIZE),
      })),
    // `wanted` is fully described by wantedKey, and `key` by its JSON.
    [wantedKey, JSON.stringify(key), fetchPage],
  );
  const others = useQueries({ queries });
  const loaded = new Map<number, T[]>();
  if (first.data) loaded.set(0, first.data.items);
  others.forEach((q, i) => {
    if (q.data) loaded.set(wanted[i]!, q.data.items);
  });
  return {
    total: first.data?.total,
    error: first.error ?? others.find((q) => q.error)?.error ?? null,
    isPending: first.isPending,
    rowAt: (index: number): T | undefined => loaded.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE],
  };
}
