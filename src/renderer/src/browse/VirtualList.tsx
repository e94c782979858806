// A virtualized list over a paged channel: only the visible rows are in the DOM and only the pages
// covering them are fetched, so 100,000 rows scroll like 100. With `fixedSize` every row has the
// estimated height and nothing is measured: measuring makes the virtualizer recompute every row's
// offset (O(rows)) per measured row, which at 100,000 rows blocked the main thread for hundreds of
// milliseconds (bench/browse.bench.ts). Without it rows are measured (they vary in height). A row whose
// page has not arrived yet shows a skeleton of the estimated height.
import { Skeleton } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { ErrorState, LoadingRows } from '../app/states';
import { usePagedRows, type PageOf } from './paged';

export function VirtualList<T>(props: {
  queryKey: readonly unknown[];
  fetchPage: (offset: number, limit: number) => Promise<PageOf<T>>;
  estimateSize: number;
  /** Every row is exactly `estimateSize` pixels high. */
  fixedSize?: boolean;
  label: string;
  empty: ReactNode;
  renderRow: (row: T, previous: T | undefined, index: number) => ReactNode;
  onTotal?: (total: number | undefined) => void;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [window, setWindow] = useState({ first: 0, last: 50 });
  const rows = usePagedRows({ key: props.queryKey, fetchPage: props.fetchPage, window });
  const { onTotal } = props;
  useEffect(() => {
    onTotal?.(rows.total);
  }, [onTotal, rows.total]);
  const virtualizer = useVirtualizer({
    count: rows.total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => props.estimateSize,
    overscan: 8,
    // Scroll updates render in React's normal batches instead of one synchronous render per scroll
    // event; at 100,000 rows the synchronous ones were the long tasks while scrolling.
    useFlushSync: false,
    onChange: (v) => {
      const range = v.range;
      if (!range) return;
      setWindow((w) =>
        w.first === range.startIndex && w.last === range.endIndex
          ? w
          : { first: range.startIndex, last: range.endIndex },
      );
    },
  });

  // Keyboard: Up/Down move between rows, Home/End jump to the ends (fetching that page if needed).
  function focusRow(index: number, attempts = 60) {
    const link = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${index}"] a[href]`);
    if (link) link.focus({ preventScroll: true });
    else if (attempts > 0) requestAnimationFrame(() => focusRow(index, attempts - 1));
  }
  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const row = (event.target as HTMLElement).closest<HTMLElement>('[data-index]');
    const total = rows.total ?? 0;
    if (!row || total === 0) return;
    const index = Number(row.dataset.index);
    const next =
      event.key === 'ArrowDown'
        ? index + 1
        : event.key === 'ArrowUp'
          ? index - 1
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? total - 1
              : null;
    if (next === null || next < 0 || next >= total) return;
    event.preventDefault();
    virtualizer.scrollToIndex(next, { align: 'auto' });
    focusRow(next);
  }

  if (rows.error && rows.total === undefined) return <ErrorState error={rows.error} />;
  if (rows.isPending) return <LoadingRows rows={6} height={props.estimateSize - 8} />;
  if (rows.total === 0) return <>{props.empty}</>;

  return (
    <div ref={scrollRef} className="scroll-list" role="list" aria-label={props.label} onKeyDown={onKeyDown}>
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows.rowAt(item.index);
          return (
            <div
              key={item.key}
              role="listitem"
              data-index={item.index}
              ref={props.fixedSize ? undefined : virtualizer.measureElement}
              style={{
                position: 'absolute',
                top: 0,
                left: 0,
                width: '100%',
                height: props.fixedSize ? props.estimateSize : undefined,
                transform: `translateY(${item.start}px)`,
              }}
            >
              {row === undefined ? (
                <Skeleton height={props.estimateSize - 12} m={6} radius="sm" />
              ) : (
                props.renderRow(row, item.index > 0 ? rows.rowAt(item.index - 1) : undefined, item.index)
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
