// One conversation: title, emoji, category, overview, the transcript with speakers and timestamps,
// action items (tick them off), calendar events, location, app results, the memories extracted from
// it and the raw payload as received.
import { Anchor, Badge, Card, Checkbox, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useParams, useSearch } from '@tanstack/react-router';
import { useEffect } from 'react';
import { formatDateTime, formatOffset } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCall, useCallMutation } from '../app/query';
import { describeError } from '../client';
import { ErrorState, LoadingRows } from '../app/states';
import { AppResults, ExtractedMemories, LocationCard, RawPayload } from './Details';

export function ConversationPage() {
  const profileId = useProfileId();
  const { conversationId } = useParams({ from: '/conversation/$conversationId' });
  const detail = useCall('conversations.get', { profileId, id: conversationId });
  const { t } = useSearch({ from: '/conversation/$conversationId' });
  const c = detail.data;
  // Ticking an action item off is saved locally and queued for OMI by the main process.
  const toggle = useCallMutation('actionItems.update', ['conversations.get']);
  // The segment a search hit pointed at: the last one starting at or before t.
  const target = t === undefined || !c ? undefined : c.segments.filter((s) => s.start <= t + 0.001).at(-1)?.index;
  useEffect(() => {
    if (target === undefined) return;
    void document.getElementById(`segment-${target}`)?.scrollIntoView({ block: 'center' });
  }, [target]);

  return (
    <Stack gap="md" className="page">
      <Anchor renderRoot={(props) => <Link to="/browse" search={{ view: 'conversations' }} {...props} />} size="sm">
        ← Conversations
      </Anchor>
      {detail.error && <ErrorState error={detail.error} />}
      {detail.isPending && <LoadingRows rows={5} />}
      {c && (
        <>
          <div>
            <Group gap="sm">
              <Text fz={32} aria-hidden>
                {c.emoji ?? '💬'}
              </Text>
              <Title order={1} size="h2">
                {c.title || 'Untitled conversation'}
              </Title>
            </Group>
            <Group gap="xs" mt={4}>
              <Badge variant="light">{c.category}</Badge>
              {c.starred && <Badge color="yellow">starred</Badge>}
              {c.deletedAt && <Badge color="red">in trash</Badge>}
              <Text size="sm" c="dimmed">
                {formatDateTime(c.startedAt ?? c.createdAt)}
                {c.finishedAt ? ` – ${formatDateTime(c.finishedAt)}` : ''}
                {c.source ? ` · ${c.source}` : ''}
                {c.language ? ` · ${c.language}` : ''} · via {c.origin}
              </Text>
            </Group>
          </div>
          {c.overview && (
            <Card withBorder>
              <Title order={2} size="h4" mb={4}>
                Overview
              </Title>
              <Text>{c.overview}</Text>
            </Card>
          )}
          {c.actionItems.length > 0 && (
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Action items
              </Title>
              <Stack gap={6}>
                {c.actionItems.map((item) => (
                  <Checkbox
                    key={item.id}
                    className="action-item"
                    checked={item.completed}
                    disabled={toggle.isPending && toggle.variables?.id === item.id}
                    onChange={(e) => toggle.mutate({ profileId, id: item.id, completed: e.currentTarget.checked })}
                    label={`${item.description}${item.dueAt ? ` (due ${formatDateTime(item.dueAt)})` : ''}`}
                  />
                ))}
                {toggle.error !== null && (
                  <Text c="red" size="sm" role="alert">
                    {describeError(toggle.error)}
                  </Text>
                )}
              </Stack>
            </Card>
          )}
          {c.events.length > 0 && (
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Events
              </Title>
              <List spacing={4}>
                {c.events.map((event) => (
                  <List.Item key={event.id}>
                    <Text fw={600} span>
                      {event.title}
                    </Text>{' '}
                    <Text span c="dimmed" size="sm">
                      {formatDateTime(event.start)}
                      {event.durationMinutes ? ` · ${event.durationMinutes} min` : ''}
                    </Text>
                    {event.description && <Text size="sm">{event.description}</Text>}
                  </List.Item>
                ))}
              </List>
            </Card>
          )}
          {c.location && <LocationCard location={c.location} />}
          {c.appResults.length > 0 && <AppResults results={c.appResults} />}
          {c.memories.length > 0 && <ExtractedMemories memories={c.memories} />}
          <Card withBorder>
            <Title order={2} size="h4" mb="xs">
              Transcript
            </Title>
            {c.segments.length === 0 ? (
              <Text c="dimmed">No transcript.</Text>
            ) : (
              <Table verticalSpacing={6} aria-label="Transcript">
                <Table.Tbody>
                  {c.segments.map((s) => (
                    <Table.Tr
                      key={s.index}
                      id={`segment-${s.index}`}
                      className="segment"
                      aria-current={s.index === target ? 'true' : undefined}
                      bg={s.index === target ? 'var(--mantine-color-yellow-light)' : undefined}
                    >
                      <Table.Td w={70} c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
                        {formatOffset(s.start)}
                      </Table.Td>
                      <Table.Td w={140} fw={600} c={s.isUser ? 'indigo' : undefined}>
                        {s.isUser ? 'You' : (s.speaker ?? `Speaker ${s.speakerId ?? '?'}`)}
                      </Table.Td>
                      <Table.Td>{s.text}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Card>
          {c.raw !== null && <RawPayload raw={c.raw} />}
        </>
      )}
    </Stack>
  );
}
