// One route per feature folder. Memory history: the desktop window has no address bar, and the
// headless page's fragment carries the session token at start-up, so the URL is not ours to use.
import { createMemoryHistory, createRootRoute, createRoute, createRouter, redirect } from '@tanstack/react-router';
import { ArchivePage } from '../archive/ArchivePage';
import { BrowsePage } from '../browse/BrowsePage';
import { parseFilters, type BrowseFilters } from '../browse/filters';
import { ConversationPage } from '../conversation/ConversationPage';
import { DebugPage } from '../debug/DebugPage';
import { LivePage } from '../live/LivePage';
import { MemoryPage } from '../memory/MemoryPage';
import { SearchPage } from '../search/SearchPage';
import { SettingsPage } from '../settings/SettingsPage';
import { RouteError } from './RouteError';
import { Shell } from './Shell';

const rootRoute = createRootRoute({ component: Shell });

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  beforeLoad: () => {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- TanStack Router's redirect protocol
    throw redirect({ to: '/browse' });
  },
});

export type BrowseSearch = BrowseFilters & { view?: 'conversations'; trash?: true };

const browseRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/browse',
  // Defaults are left out, so a plain link to /browse shows the active memories, unfiltered.
  validateSearch: (search: Record<string, unknown>): BrowseSearch => ({
    ...(search.view === 'conversations' ? { view: 'conversations' as const } : {}),
    ...(search.trash === true ? { trash: true as const } : {}),
    ...parseFilters(search),
  }),
  component: BrowsePage,
});

export const conversationRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/conversation/$conversationId',
  // t: a transcript second to jump to (from a search hit in a segment).
  validateSearch: (search: Record<string, unknown>): { t?: number } =>
    typeof search.t === 'number' && Number.isFinite(search.t) ? { t: search.t } : {},
  component: ConversationPage,
});

export const memoryRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/memory/$memoryId',
  component: MemoryPage,
});

const searchRoute = createRoute({ getParentRoute: () => rootRoute, path: '/search', component: SearchPage });
const liveRoute = createRoute({ getParentRoute: () => rootRoute, path: '/live', component: LivePage });
const archiveRoute = createRoute({ getParentRoute: () => rootRoute, path: '/archive', component: ArchivePage });
const debugRoute = createRoute({ getParentRoute: () => rootRoute, path: '/debug', component: DebugPage });
const settingsRoute = createRoute({ getParentRoute: () => rootRoute, path: '/settings', component: SettingsPage });

const routeTree = rootRoute.addChildren([
  indexRoute,
  browseRoute,
  conversationRoute,
  memoryRoute,
  searchRoute,
  liveRoute,
  archiveRoute,
  debugRoute,
  settingsRoute,
]);

export function createAppRouter() {
  return createRouter({
    routeTree,
    history: createMemoryHistory({ initialEntries: ['/browse'] }),
    defaultPreload: false,
    defaultErrorComponent: RouteError,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
