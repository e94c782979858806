// Browse: memories as a list and conversations as a timeline grouped by day, both virtualized over
// paged queries; the trash with restore; the tag filter the contract offers (memories.list `tag`).
import { Group, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { useCallback, useState } from 'react';
import type { Memory } from '../../../shared/models';
import { SelectionBar } from './Selection';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { call } from '../client';
import { ConversationRow } from './ConversationRow';
import { MemoryRow } from './MemoryRow';
import { NewMemory } from './NewMemory';
import { VirtualList } from './VirtualList';
import { Empty } from '../app/states';

export function BrowsePage() {
  const profileId = useProfileId();
  const search = useSearch({ from: '/browse' });
  const view = search.view ?? 'memories';
  const trash = search.trash ?? false;
  const navigate = useNavigate({ from: '/browse' });
  const [tagText, setTagText] = useState('');
  const [tag] = useDebouncedValue(tagText.trim(), 250);
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

  const memories = view === 'memories';
  const filter = { profileId, trash: trash, ...(memories && tag ? { tag } : {}) };

  return (
    <Stack gap="sm" style={{ flex: 1, minHeight: 0 }}>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Browse
        </Title>
        {memories && !trash && <NewMemory />}
      </Group>
      <Group gap="md" className="stats" aria-label="Counts">
        <Count label="Memories" value={stats.data?.memories} />
        <Count label="Conversations" value={stats.data?.conversations} />
        <Count label="Segments" value={stats.data?.segments} />
        <Count label="In trash" value={stats.data?.trashed} />
      </Group>
      <Group gap="sm" align="center">
        <SegmentedControl
          aria-label="What to browse"
          value={view}
          onChange={(v) => {
            clearSelection();
            void navigate({ search: { ...search, view: v === 'conversations' ? 'conversations' : undefined } });
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
        {memories && (
          <TextInput
            aria-label="Filter by tag"
            placeholder="Filter by tag"
            value={tagText}
            onChange={(e) => {
              clearSelection();
              setTagText(e.currentTarget.value);
            }}
            w={200}
          />
        )}
        {memories && selected.size > 0 ? (
          <SelectionBar selected={selected} trash={trash} onDone={clearSelection} />
        ) : (
          <Text size="sm" c="dimmed" ml="auto" aria-live="polite">
            {shown === undefined ? '\u00a0' : countLabel(shown, memories ? 'memory' : 'conversation')}
          </Text>
        )}
      </Group>
      {memories ? (
        <VirtualList
          key={JSON.stringify(filter)}
          label="Memories"
          queryKey={['memories.list', filter, 'page']}
          fetchPage={(offset, limit) => call('memories.list', { ...filter, offset, limit })}
          estimateSize={72}
          onTotal={setShown}
          empty={
            <Empty>{trash ? 'The trash is empty.' : tag ? `No memories tagged “${tag}”.` : 'No memories yet.'}</Empty>
          }
          renderRow={(memory) => (
            <MemoryRow memory={memory} trash={trash} selected={selected.has(memory.id)} onToggle={toggle} />
          )}
        />
      ) : (
        <VirtualList
          key={JSON.stringify(filter)}
          label="Conversations"
          queryKey={['conversations.list', filter, 'page']}
          fetchPage={(offset, limit) => call('conversations.list', { ...filter, offset, limit })}
          estimateSize={76}
          onTotal={setShown}
          empty={<Empty>{trash ? 'The trash is empty.' : 'No conversations yet.'}</Empty>}
          renderRow={(conversation, previous) => <ConversationRow conversation={conversation} previous={previous} />}
        />
      )}
    </Stack>
  );
}

function countLabel(n: number, noun: 'memory' | 'conversation'): string {
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
