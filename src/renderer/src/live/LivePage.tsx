// Live: the realtime transcript as the webhook receives it (the transcript.live push). Kept in memory
// for this page only; the stored conversation appears in Browse once OMI finishes it.
import { Badge, Card, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import type { Segment } from '../../../shared/models';
import { formatOffset } from '../app/format';
import { useProfileId } from '../app/profile';
import { subscribe } from '../client';

const KEEP = 500;

interface LiveSegment extends Segment {
  sessionId: string | null;
}

export function LivePage() {
  const profileId = useProfileId();
  const [segments, setSegments] = useState<LiveSegment[]>([]);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(
    () =>
      subscribe('transcript.live', (event) => {
        if (event.profileId !== profileId) return;
        setSegments((old) =>
          [...old, ...event.segments.map((s) => ({ ...s, sessionId: event.sessionId }))].slice(-KEEP),
        );
      }),
    [profileId],
  );
  // A block body: newer Chromium returns a promise from scrollIntoView, which must not reach React.
  useEffect(() => {
    void bottom.current?.scrollIntoView({ block: 'end' });
  }, [segments.length]);

  const session = segments.at(-1)?.sessionId;
  return (
    <Stack gap="md" className="page">
      <Group justify="space-between">
        <Title order={1} size="h2">
          Live transcript
        </Title>
        <Badge variant="dot" color={segments.length ? 'teal' : 'gray'}>
          {segments.length ? `session ${session ?? 'unknown'}` : 'waiting'}
        </Badge>
      </Group>
      <Card withBorder>
        {segments.length === 0 ? (
          <Text c="dimmed" ta="center" py="xl">
            Waiting for your OMI. New speech appears here as soon as the webhook receives it.
          </Text>
        ) : (
          <Table aria-label="Live transcript" verticalSpacing={6}>
            <Table.Tbody aria-live="polite">
              {segments.map((s, i) => (
                <Table.Tr key={`${s.sessionId ?? ''}:${s.index}:${i}`}>
                  <Table.Td w={70} c="dimmed">
                    {formatOffset(s.start)}
                  </Table.Td>
                  <Table.Td w={140} fw={600}>
                    {s.isUser ? 'You' : (s.speaker ?? `Speaker ${s.speakerId ?? '?'}`)}
                  </Table.Td>
                  <Table.Td>{s.text}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <div ref={bottom} />
      </Card>
    </Stack>
  );
}
