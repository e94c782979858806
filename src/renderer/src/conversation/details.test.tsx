// The conversation page's location, app results and raw payload sections.
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test } from 'vitest';
import { renderUi } from '../../test/render';
import {
  createMemoryHistory,
  createRootRoute,
  createRoute,
  createRouter,
  Outlet,
  RouterProvider,
} from '@tanstack/react-router';
import { AppResults, ExtractedMemories, formatCoordinates, LocationCard, RawPayload } from './Details';

describe('conversation details', () => {
  test('a location shows its address and coordinates; coordinates need both halves', () => {
    renderUi(<LocationCard location={{ address: 'Alexanderplatz, Berlin', latitude: 52.52, longitude: 13.405 }} />);
    expect(screen.getByText('Alexanderplatz, Berlin')).toBeTruthy();
    expect(screen.getByText('52.52000, 13.40500')).toBeTruthy();
    expect(formatCoordinates({ address: 'x', latitude: 1, longitude: null })).toBeNull();
  });

  test('app results name their app', () => {
    renderUi(
      <AppResults
        results={[
          { appId: 'summarizer', content: 'Key numbers: 500 units' },
          { appId: null, content: 'Plain' },
        ]}
      />,
    );
    expect(screen.getByText('App summarizer')).toBeTruthy();
    expect(screen.getByText('Key numbers: 500 units')).toBeTruthy();
    expect(screen.getByText('App')).toBeTruthy();
  });

  test('the raw payload opens on request as a named, focusable, read-only region', async () => {
    const raw = JSON.stringify({ id: 'c1', apps_results: [] }, null, 2);
    renderUi(<RawPayload raw={raw} />);
    expect(screen.queryByRole('region', { name: 'Raw payload' })).toBeNull();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Show raw payload' }));
    expect(screen.getByRole('button', { name: 'Hide raw payload' }).getAttribute('aria-expanded')).toBe('true');
    const region = screen.getByRole('region', { name: 'Raw payload' });
    expect(region.getAttribute('tabindex')).toBe('0');
    expect(region.textContent).toBe(raw);
    expect(region.querySelector('textarea, input, [contenteditable="true"]')).toBeNull();
  });

  test('each extracted memory links to its own page', async () => {
    const root = createRootRoute({ component: Outlet });
    const page = createRoute({
      getParentRoute: () => root,
      path: '/',
      component: () => (
        <ExtractedMemories
          memories={[
            { id: 'm1', content: 'Order 500 units', category: 'interesting' },
            { id: 'm2', content: 'Dana prefers e-mail', category: 'system' },
          ]}
        />
      ),
    });
    const memory = createRoute({ getParentRoute: () => root, path: '/memory/$memoryId' });
    const router = createRouter({
      routeTree: root.addChildren([page, memory]),
      history: createMemoryHistory({ initialEntries: ['/'] }),
    });
    renderUi(<RouterProvider router={router} />);
    const link = await screen.findByRole('link', { name: 'Order 500 units' });
    expect(link.getAttribute('href')).toBe('/memory/m1');
    expect(screen.getByRole('link', { name: 'Dana prefers e-mail' }).getAttribute('href')).toBe('/memory/m2');
  });
});
