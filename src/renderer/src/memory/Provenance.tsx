// Beside a memory's text: where it came from (its conversation, and the transcript lines behind it
// when OMI said which, each opening the conversation at that second) and where it stands with OMI,
// with the conflict, when both sides changed it, to resolve here (keep mine, keep theirs, or edit).
import { Alert, Anchor, Badge, Card, Group, Stack, Text, Title } from '@mantine/core';
import { Link } from '@tanstack/react-router';
import type { MemoryOrigin, MemorySync } from '../../../shared/models';
import { formatOffset } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCall, useCallMutation } from '../app/query';
import { describeError } from '../client';
import { ConflictCard } from '../debug/SyncPanel';

const SYNC_TEXT: Record<MemorySync['state'], { label: string; color: string; detail: string }> = {
  local: { label: 'local only', color: 'gray', detail: 'Not on OMI: this vault has no OMI copy of it.' },
  pending: { label: 'pending', color: 'blue', detail: 'A change waits to be sent to OMI with the next sync.' },
  synced: { label: 'synced', color: 'green', detail: 'OMI has this version.' },
  failed: { label: 'push failed', color: 'red', detail: 'Sending the change to OMI failed for good.' },
  'deleted-remotely': { label: 'deleted on OMI', color: 'orange', detail: 'OMI no longer has this memory.' },
  conflict: { label: 'conflict', color: 'yellow', detail: 'Changed here and on OMI since the last sync.' },
};

export function MemoryOriginCard(props: { provenance: MemoryOrigin }) {
  const p = props.provenance;
  if (!p) return null;
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        Where it came from
      </Title>
      <Anchor
        renderRoot={(r) => (
          <Link to="/conversation/$conversationId" params={{ conversationId: p.conversationId }} {...r} />
        )}
      >
        {p.conversationTitle ?? 'A conversation this vault has not received yet'}
      </Anchor>
      {p.lines.length > 0 && (
        <Stack gap={2} mt="xs" component="ol" className="provenance-lines" aria-label="Transcript lines">
          {p.lines.map((line) => (
            <li key={line.index}>
              <Anchor
                size="sm"
                renderRoot={(r) => (
                  <Link
                    to="/conversation/$conversationId"
                    params={{ conversationId: p.conversationId }}
                    search={{ t: line.startS }}
                    {...r}
                  />
                )}
              >
                {formatOffset(line.startS)}
              </Anchor>{' '}
              <Text span size="sm">
                {line.text}
              </Text>
            </li>
          ))}
        </Stack>
      )}
    </Card>
  );
}

export function MemorySyncCard(props: { memoryId: string; sync: MemorySync }) {
  const profileId = useProfileId();
  const s = SYNC_TEXT[props.sync.state];
  const conflicts = useCall('sync.conflicts', { profileId }, { enabled: props.sync.state === 'conflict' });
  const resolve = useCallMutation('sync.resolve', ['sync.status', 'sync.conflicts', 'memories.list', 'memories.get']);
  const mine = conflicts.data?.items.filter((c) => c.memoryId === props.memoryId) ?? [];
  return (
    <Card withBorder>
      <Group gap="xs" mb="xs">
        <Title order={2} size="h4">
          OMI sync
        </Title>
        <Badge color={s.color} variant="light">
          {s.label}
        </Badge>
      </Group>
      <Text size="sm">{s.detail}</Text>
      {props.sync.lastError && (
        <Text size="sm" c="red">
          Last error: {props.sync.lastError}
        </Text>
      )}
      {resolve.error ? (
        <Alert color="red" mt="xs">
          {describeError(resolve.error)}
        </Alert>
      ) : null}
      {mine.map((c) => (
        <ConflictCard
          key={c.id}
          conflict={c}
          onResolve={(resolution, content) =>
            resolve.mutate({ profileId, memoryId: props.memoryId, resolution, content })
          }
        />
      ))}
    </Card>
  );
}
