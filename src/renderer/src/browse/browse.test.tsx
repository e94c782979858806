// Browse components over a fake bridge: the paged-rows hook fetches only the pages a window needs, the
// empty-trash confirmation, and the filter bar's clear button.
import { screen, waitFor, renderHook } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { describe, expect, test, vi } from 'vitest';
import { ADA, fakeBridge, renderUi } from '../../test/render';
import { createQueryClient } from '../app/query';
import { EmptyTrash } from './EmptyTrash';
import { PAGE_SIZE, usePagedRows } from './paged';

const STATS = { conversations: 0, segments: 0, memories: 3, trashed: 2, tags: 0, inbox: {}, outbox: {}, embeddings: 0 };

describe('usePagedRows', () => {
  test('fetches page 0 for the total, then only the pages covering the window', async () => {
    const fetchPage = vi.fn((offset: number, limit: number) =>
      Promise.resolve({ items: Array.from({ length: limit }, (_, i) => offset + i), total: 10_000 }),
    );
    const client = createQueryClient();
    const wrapper = (props: { children: ReactNode }) => (
      <QueryClientProvider client={client}>{props.children}</QueryClientProvider>
    );
    const { result, rerender } = renderHook(
      (window: { first: number; last: number }) => usePagedRows({ key: ['k'], fetchPage, window }),
      { wrapper, initialProps: { first: 0, last: 30 } },
    );
    await waitFor(() => expect(result.current.total).toBe(10_000));
    expect(fetchPage.mock.calls).toEqual([[0, PAGE_SIZE]]);
    expect(result.current.rowAt(5)).toBe(5);
    expect(result.current.rowAt(PAGE_SIZE * 3)).toBeUndefined();

    rerender({ first: PAGE_SIZE * 3 - 5, last: PAGE_SIZE * 3 + 10 });
    await waitFor(() => expect(result.current.rowAt(PAGE_SIZE * 3)).toBe(PAGE_SIZE * 3));
    expect(fetchPage.mock.calls.map(([offset]) => offset).sort((a, b) => a - b)).toEqual([
      0,
      PAGE_SIZE * 2,
      PAGE_SIZE * 3,
    ]);
    // Moving within the same pages fetches nothing more.
    rerender({ first: PAGE_SIZE * 3 - 3, last: PAGE_SIZE * 3 + 12 });
    expect(fetchPage).toHaveBeenCalledTimes(3);
  });
});

describe('empty the trash', () => {
  test('asks first, says how much goes, and purges only on confirmation', async () => {
    const bridge = fakeBridge((channel) => (channel === 'stats.get' ? STATS : { memories: 2, conversations: 0 }));
    renderUi(<EmptyTrash />, { profile: ADA });
    const user = userEvent.setup();
    const open = await screen.findByRole('button', { name: 'Empty trash…' });
    await waitFor(() => expect(open).toHaveProperty('disabled', false));
    await user.click(open);
    const dialog = await screen.findByRole('dialog', { name: 'Empty the trash?' });
    expect(dialog.textContent).toContain('2 items in the trash');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(bridge.calls.some((c) => c.channel === 'trash.empty')).toBe(false);

    await user.click(open);
    await user.click(await screen.findByRole('button', { name: 'Delete for good' }));
    await waitFor(() =>
      expect(bridge.calls.filter((c) => c.channel === 'trash.empty')).toEqual([
        { channel: 'trash.empty', input: { profileId: ADA.id } },
      ]),
    );
  });

  test('with nothing in the trash the button is disabled', async () => {
    fakeBridge(() => ({ ...STATS, trashed: 0 }));
    renderUi(<EmptyTrash />, { profile: ADA });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Empty trash…' })).toHaveProperty('disabled', true));
  });
});
