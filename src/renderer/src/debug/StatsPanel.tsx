// The vault's counts, including inbox and outbox by status.
import { Card, SimpleGrid, Text } from '@mantine/core';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { ErrorState, LoadingRows } from '../app/states';

export function StatsPanel() {
  const profileId = useProfileId();
  const stats = useCall('stats.get', { profileId });
  if (stats.error) return <ErrorState error={stats.error} />;
  if (!stats.data) return <LoadingRows rows={2} height={64} />;
  const s = stats.data;
  const cells: [string, number][] = [
    ['Conversations', s.conversations],
    ['Transcript segments', s.segments],
    ['Memories', s.memories],
    ['In trash', s.trashed],
    ['Tags', s.tags],
    ['Embeddings', s.embeddings],
    ...Object.entries(s.inbox).map(([k, v]): [string, number] => [`Inbox ${k}`, v]),
    ...Object.entries(s.outbox).map(([k, v]): [string, number] => [`Outbox ${k}`, v]),
  ];
  return (
    <SimpleGrid cols={{ base: 2, sm: 4 }}>
      {cells.map(([label, value]) => (
        <Card key={label} withBorder padding="sm">
          <Text size="xs" c="dimmed">
            {label}
          </Text>
          <Text fw={700} fz="xl">
            {value.toLocaleString()}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}
