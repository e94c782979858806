// The browse filters as they live in the route's search params (so Back from a memory keeps them), and
// their translation into memories.list / conversations.list inputs. Days are the user's local days:
// `from` is the start of its day and `to` the end of its day, sent as ISO instants.
import dayjs from 'dayjs';
import type { ChannelInput } from '../../../shared/ipc/contract';

export interface BrowseFilters {
  /** YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  categories?: string[];
  tags?: string[];
  sources?: string[];
  starred?: true;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const strings = (v: unknown): string[] | undefined => {
  const list = (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).filter(
    (x): x is string => typeof x === 'string' && x.trim() !== '',
  );
  return list.length > 0 ? list.slice(0, 32) : undefined;
};

/** Reads filters from untrusted search params, dropping anything malformed. */
export function parseFilters(search: Record<string, unknown>): BrowseFilters {
  const out: BrowseFilters = {};
  if (typeof search.from === 'string' && DAY.test(search.from)) out.from = search.from;
  if (typeof search.to === 'string' && DAY.test(search.to)) out.to = search.to;
  const categories = strings(search.categories);
  if (categories) out.categories = categories;
  const tags = strings(search.tags);
  if (tags) out.tags = tags;
  const sources = strings(search.sources);
  if (sources) out.sources = sources;
  if (search.starred === true) out.starred = true;
  return out;
}

export function activeFilterCount(f: BrowseFilters): number {
  return (
    (f.from || f.to ? 1 : 0) +
    (f.categories?.length ? 1 : 0) +
    (f.tags?.length ? 1 : 0) +
    (f.sources?.length ? 1 : 0) +
    (f.starred ? 1 : 0)
  );
}

const range = (f: BrowseFilters) => ({
  ...(f.from ? { from: dayjs(f.from).startOf('day').toISOString() } : {}),
  ...(f.to ? { to: dayjs(f.to).endOf('day').toISOString() } : {}),
});

const MEMORY_CATEGORIES = new Set(['interesting', 'system', 'manual']);
const MEMORY_SOURCES = new Set(['webhook', 'sync', 'import', 'local']);

type MemoryInput = ChannelInput<'memories.list'>;
type ConversationInput = ChannelInput<'conversations.list'>;

export function memoryQuery(
  profileId: string,
  trash: boolean,
  f: BrowseFilters,
): Omit<MemoryInput, 'limit' | 'offset'> {
  const categories = f.categories?.filter((c) => MEMORY_CATEGORIES.has(c)) as MemoryInput['categories'];
  const sources = f.sources?.filter((s) => MEMORY_SOURCES.has(s)) as MemoryInput['sources'];
  return {
    profileId,
    trash,
    ...range(f),
    ...(f.tags?.length ? { tags: f.tags } : {}),
    ...(categories?.length ? { categories } : {}),
    ...(sources?.length ? { sources } : {}),
  };
}

export function conversationQuery(
  profileId: string,
  trash: boolean,
  f: BrowseFilters,
): Omit<ConversationInput, 'limit' | 'offset'> {
  return {
    profileId,
    trash,
    ...range(f),
    ...(f.categories?.length ? { categories: f.categories } : {}),
    ...(f.sources?.length ? { sources: f.sources } : {}),
    ...(f.starred ? { starred: true } : {}),
  };
}
