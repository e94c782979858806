// Browse: memories as a list and conversations as a timeline grouped by day, both virtualized over
// paged queries filtered on the server (date range, category, tags, source, starred); the trash with
// restore and "empty trash"; multi-select on memories for tag / trash / restore; counts.
import { Group, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useCallback, useState } from 'react';
import type { Memory } from '../../../shared/models';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { Empty } from '../app/states';
import { call } from '../client';
import { CONVERSATION_ROW_HEIGHT, ConversationRow } from './ConversationRow';
import { EmptyTrash } from './EmptyTrash';
import { activeFilterCount, conversationQuery, memoryQuery, type BrowseFilters } from './filters';
import { Filters } from './Filters';
import { MEMORY_ROW_HEIGHT, MemoryRow } from './MemoryRow';
import { NewMemory } from './NewMemory';
import { SelectionBar } from './Selection';
import { VirtualList } from './VirtualList';

export function BrowsePage() {
  const profileId = useProfileId();
  const search = useSearch({ from: '/browse' });
  const { view: viewParam, trash: trashParam, ...filters } = search;
  const view = viewParam ?? 'memories';
  const trash = trashParam ?? false;
  const navigate = useNavigate({ from: '/browse' });
  const stats = useCall('stats.get', { profileId });
  const [shown, setShown] = useState<number | undefined>();
  const [selected, setSelected] = useState<Map<string, Memory>>(new Map());
  const clearSelection = useCallback(() => setSelected(new Map()), []);
  const toggle = useCallback(
    (memory: Memory) =>
      setSelected((old) => {
        const next = new Map(old);
        if (next.has(memory.id)) next.delete(memory.id);
        else next.set(memory.id, memory);
        return next;
      }),
    [],
  );
  const setFilters = (next: BrowseFilters) => {
    clearSelection();
    void navigate({
      search: { ...(viewParam ? { view: viewParam } : {}), ...(trashParam ? { trash: trashParam } : {}), ...next },
    });
  };

  const memories = view === 'memories';
  const filtered = activeFilterCount(filters) > 0;
  const memoryInput = memoryQuery(profileId, trash, filters);
  const conversationInput = conversationQuery(profileId, trash, filters);
  const noMatch = (
    <Empty>{memories ? 'No memories match these filters.' : 'No conversations match these filters.'}</Empty>
  );

  return (
    <Stack gap="sm" style={{ flex: 1, minHeight: 0 }}>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Browse
        </Title>
        <Group gap="xs">
          {trash && <EmptyTrash />}
          {memories && !trash && <NewMemory />}
        </Group>
      </Group>
      <Group gap="md" className="stats" aria-label="Counts" role="group">
        <Count label="Memories" value={stats.data?.memories} />
        <Count label="Conversations" value={stats.data?.conversations} />
        <Count label="Segments" value={stats.data?.segments} />
        <Count label="In trash" value={stats.data?.trashed} />
      </Group>
      <Group gap="sm" align="center" mih={30}>
        <SegmentedControl
          aria-label="What to browse"
          value={view}
          onChange={(v) => {
            clearSelection();
            // Categories and sources differ between memories and conversations; dates carry over.
            void navigate({
              search: {
                ...(v === 'conversations' ? { view: 'conversations' as const } : {}),
                ...(trashParam ? { trash: trashParam } : {}),
                ...(filters.from ? { from: filters.from } : {}),
                ...(filters.to ? { to: filters.to } : {}),
              },
            });
          }}
          data={[
            { value: 'memories', label: 'Memories' },
            { value: 'conversations', label: 'Conversations' },
          ]}
        />
        <SegmentedControl
          aria-label="Active or trash"
          value={trash ? 'trash' : 'active'}
          onChange={(v) => {
            clearSelection();
            void navigate({ search: { ...search, trash: v === 'trash' ? true : undefined } });
          }}
          data={[
            { value: 'active', label: 'Active' },
            { value: 'trash', label: 'Trash' },
          ]}
        />
        {memories && selected.size > 0 ? (
          <SelectionBar selected={selected} trash={trash} onDone={clearSelection} />
        ) : (
          <Text size="sm" c="dimmed" ml="auto" aria-live="polite" className="shown-count">
            {shown === undefined ? '\u00a0' : countLabel(shown, memories ? 'memory' : 'conversation')}
          </Text>
        )}
      </Group>
      <Filters view={view} value={filters} onChange={setFilters} />
      {memories ? (
        <VirtualList
          key={JSON.stringify(memoryInput)}
          label="Memories"
          queryKey={['memories.list', memoryInput, 'page']}
          fetchPage={(offset, limit) => call('memories.list', { ...memoryInput, offset, limit })}
          estimateSize={MEMORY_ROW_HEIGHT}
          fixedSize
          onTotal={setShown}
          empty={filtered ? noMatch : <Empty>{trash ? 'The trash is empty.' : 'No memories yet.'}</Empty>}
          renderRow={(memory) => (
            <MemoryRow memory={memory} trash={trash} selected={selected.has(memory.id)} onToggle={toggle} />
          )}
        />
      ) : (
        <VirtualList
          key={JSON.stringify(conversationInput)}
          label="Conversations"
          queryKey={['conversations.list', conversationInput, 'page']}
          fetchPage={(offset, limit) => call('conversations.list', { ...conversationInput, offset, limit })}
          estimateSize={CONVERSATION_ROW_HEIGHT}
          fixedSize
          onTotal={setShown}
          empty={filtered ? noMatch : <Empty>{trash ? 'The trash is empty.' : 'No conversations yet.'}</Empty>}
          renderRow={(conversation, previous) => <ConversationRow conversation={conversation} previous={previous} />}
        />
      )}
    </Stack>
  );
}

export function countLabel(n: number, noun: 'memory' | 'conversation'): string {
  const plural = noun === 'memory' ? 'memories' : 'conversations';
  return `${n.toLocaleString()} ${n === 1 ? noun : plural}`;
}

function Count(props: { label: string; value: number | undefined }) {
  return (
    <Text size="sm">
      <Text span c="dimmed">
        {props.label}
      </Text>{' '}
      <Text span fw={600}>
        {props.value === undefined ? '–' : props.value.toLocaleString()}
      </Text>
    </Text>
  );
}
