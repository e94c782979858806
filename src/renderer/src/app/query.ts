// TanStack Query over the typed client: one query key per channel and input (`[channel, input]`), so
// a push event or a mutation invalidates a whole channel with `[channel]`. Components never build keys
// by hand.
import { QueryClient, useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Channel, ChannelInput, ChannelOutput } from '../../../shared/ipc/contract';
import { call, subscribe } from '../client';

export function callKey<C extends Channel>(channel: C, input: ChannelInput<C>) {
  return [channel, input] as const;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // Local data: no refetch storms on focus; pushes and mutations say when something changed.
      queries: { retry: false, refetchOnWindowFocus: false, staleTime: 30_000 },
      mutations: { retry: false },
    },
  });
}

export function useCall<C extends Channel>(
  channel: C,
  input: ChannelInput<C>,
  options: Omit<UseQueryOptions<ChannelOutput<C>>, 'queryKey' | 'queryFn'> = {},
) {
  return useQuery<ChannelOutput<C>>({
    queryKey: callKey(channel, input),
    queryFn: () => call(channel, input),
    ...options,
  });
}

/** A mutation over one channel; on success the listed channels' queries are refetched. */
export function useCallMutation<C extends Channel>(channel: C, invalidate: readonly Channel[] = []) {
  const client = useQueryClient();
  return useMutation<ChannelOutput<C>, unknown, ChannelInput<C>>({
    mutationFn: (input) => call(channel, input),
    onSuccess: async () => {
      await Promise.all(invalidate.map((c) => client.invalidateQueries({ queryKey: [c] })));
    },
  });
}

/** What each push event makes stale. */
const STALE_ON: Record<string, readonly Channel[]> = {
  'profiles.changed': ['profiles.list'],
  'inbox.delivery': [
    'inbox.list',
    'stats.get',
    'memories.list',
    'memories.get',
    'conversations.list',
    'conversations.get',
    'daySummaries.list',
  ],
  'transcript.live': ['conversations.list', 'stats.get'],
  'sync.status': ['sync.deadLetters', 'sync.conflicts', 'memories.list', 'conversations.list', 'stats.get'],
};

/** Subscribes once for the whole app and turns push events into cache updates. */
export function usePushInvalidation(client: QueryClient): void {
  useEffect(() => {
    const offs = [
      subscribe('profiles.changed', () => void client.invalidateQueries({ queryKey: ['profiles.list'] })),
      subscribe('inbox.delivery', () => invalidateAll(client, STALE_ON['inbox.delivery']!)),
      subscribe('transcript.live', () => invalidateAll(client, STALE_ON['transcript.live']!)),
      subscribe('sync.status', ({ profileId, ...status }) => {
        client.setQueryData(callKey('sync.status', { profileId }), status);
        invalidateAll(client, STALE_ON['sync.status']!);
      }),
      subscribe('archive.progress', (progress) => {
        client.setQueryData(['archive.progress', progress.profileId], progress);
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [client]);
}

function invalidateAll(client: QueryClient, channels: readonly Channel[]) {
  for (const channel of channels) void client.invalidateQueries({ queryKey: [channel] });
}
