// OMI sync: breaker state, backlog, rate headroom, last success; a pass on demand; dead letters with
// retry; conflicts resolved by keeping mine or theirs. The status refreshes from the sync.status push.
import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import type { SyncConflict } from '../../../shared/models';
import { formatDateTime } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCall, useCallMutation } from '../app/query';
import { Empty, ErrorState, LoadingRows } from '../app/states';
import { describeError } from '../client';

const BREAKER_COLOR = { closed: 'teal', 'half-open': 'yellow', open: 'red', isolated: 'gray' } as const;

export function SyncPanel() {
  const profileId = useProfileId();
  const status = useCall('sync.status', { profileId });
  const dead = useCall('sync.deadLetters', { profileId, limit: 100, offset: 0 });
  const conflicts = useCall('sync.conflicts', { profileId });
  const run = useCallMutation('sync.run', ['sync.status', 'sync.deadLetters', 'sync.conflicts', 'memories.list']);
  const retry = useCallMutation('sync.retry', ['sync.status', 'sync.deadLetters']);
  const resolve = useCallMutation('sync.resolve', ['sync.status', 'sync.conflicts', 'memories.list', 'memories.get']);
  const failure = run.error ?? retry.error ?? resolve.error;
  const s = status.data;

  return (
    <Stack gap="md">
      {status.error && <ErrorState error={status.error} />}
      {status.isPending && <LoadingRows rows={2} height={64} />}
      {s && (
        <Card withBorder>
          <Group justify="space-between" mb="sm">
            <Group gap="xs">
              <Title order={2} size="h4">
                OMI sync
              </Title>
              <Badge color={BREAKER_COLOR[s.breaker]} variant="light">
                breaker {s.breaker}
              </Badge>
              {!s.configured && <Badge color="gray">no API key</Badge>}
              {s.running && <Badge color="blue">running</Badge>}
            </Group>
            <Button
              size="xs"
              disabled={!s.configured}
              loading={run.isPending || s.running}
              onClick={() => run.mutate({ profileId, full: true })}
            >
              Sync now
            </Button>
          </Group>
          <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
            <Fact label="Backlog" value={s.backlog.toLocaleString()} />
            <Fact label="Dead letters" value={s.deadLetters.toLocaleString()} />
            <Fact label="Conflicts" value={s.conflicts.toLocaleString()} />
            <Fact label="Rate headroom" value={`${s.rate.remaining} / ${s.rate.limit}`} />
            <Fact label="Last success" value={formatDateTime(s.lastSuccessAt)} />
            <Fact label="Last attempt" value={formatDateTime(s.lastAttemptAt)} />
            <Fact label="Next attempt" value={formatDateTime(s.nextAttemptAt)} />
            <Fact label="Scheduled" value={s.scheduled ? 'yes' : 'no'} />
          </SimpleGrid>
          {s.lastError && (
            <Text size="sm" c="red" mt="sm">
              Last error: {s.lastError}
            </Text>
          )}
        </Card>
      )}
      {run.data && (
        <Alert color={run.data.ok ? 'teal' : 'yellow'} role="status">
          Sync pass {run.data.ok ? 'finished' : 'finished with errors'}
          {run.data.errors.map((e) => ` · ${e.part}: ${e.message}`).join('')}
        </Alert>
      )}
      {failure !== null && (
        <Alert color="red" role="alert">
          {describeError(failure)}
        </Alert>
      )}
      <Card withBorder>
        <Group justify="space-between" mb="xs">
          <Title order={2} size="h4">
            Dead letters
          </Title>
          <Button
            size="xs"
            variant="default"
            disabled={!dead.data?.total}
            loading={retry.isPending}
            onClick={() => retry.mutate({ profileId })}
          >
            Retry all
          </Button>
        </Group>
        {dead.error && <ErrorState error={dead.error} />}
        {dead.data?.total === 0 && <Empty>No dead letters.</Empty>}
        {dead.data && dead.data.items.length > 0 && (
          <Table aria-label="Dead letters">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Job</Table.Th>
                <Table.Th>Attempts</Table.Th>
                <Table.Th>Last error</Table.Th>
                <Table.Th>Updated</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {dead.data.items.map((d) => (
                <Table.Tr key={d.id}>
                  <Table.Td>
                    {d.kind} {d.entity}
                  </Table.Td>
                  <Table.Td>{d.attempts}</Table.Td>
                  <Table.Td>{d.lastError ?? '—'}</Table.Td>
                  <Table.Td>{formatDateTime(d.updatedAt)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="default" onClick={() => retry.mutate({ profileId, ids: [d.id] })}>
                      Retry
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      <Card withBorder>
        <Title order={2} size="h4" mb="xs">
          Conflicts
        </Title>
        {conflicts.error && <ErrorState error={conflicts.error} />}
        {conflicts.data?.items.length === 0 && <Empty>No conflicts.</Empty>}
        <Stack gap="sm">
          {conflicts.data?.items.map((c) => (
            <ConflictCard
              key={c.id}
              conflict={c}
              onResolve={(resolution, content) =>
                resolve.mutate({ profileId, memoryId: c.memoryId, resolution, content })
              }
            />
          ))}
        </Stack>
      </Card>
    </Stack>
  );
}

/** Mine and theirs side by side; keep one, or write the text that replaces both. */
export function ConflictCard(props: {
  conflict: SyncConflict;
  onResolve: (resolution: 'mine' | 'theirs' | 'edit', content?: string) => void;
}) {
  const c = props.conflict;
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed" mb={4}>
        Memory {c.memoryId} · detected {formatDateTime(c.detectedAt)}
      </Text>
      <SimpleGrid cols={2}>
        <div>
          <Text size="xs" fw={600}>
            Mine
          </Text>
          <Text size="sm">{c.mine.content}</Text>
        </div>
        <div>
          <Text size="xs" fw={600}>
            Theirs (OMI)
          </Text>
          <Text size="sm">{c.theirs.content}</Text>
        </div>
      </SimpleGrid>
      {editing !== null && (
        <Textarea
          mt="xs"
          label="Merged text"
          autosize
          minRows={2}
          value={editing}
          onChange={(e) => setEditing(e.currentTarget.value)}
        />
      )}
      <Group gap="xs" mt="xs" justify="flex-end">
        {editing === null ? (
          <>
            <Button size="xs" variant="default" onClick={() => props.onResolve('mine')}>
              Keep mine
            </Button>
            <Button size="xs" variant="default" onClick={() => props.onResolve('theirs')}>
              Keep theirs
            </Button>
            <Button size="xs" variant="default" onClick={() => setEditing(c.mine.content)}>
              Edit
            </Button>
          </>
        ) : (
          <>
            <Button size="xs" variant="default" onClick={() => setEditing(null)}>
              Cancel
            </Button>
            <Button size="xs" disabled={editing.trim() === ''} onClick={() => props.onResolve('edit', editing)}>
              Save merged text
            </Button>
          </>
        )}
      </Group>
    </Card>
  );
}

function Fact(props: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {props.label}
      </Text>
      <Text size="sm" fw={600}>
        {props.value}
      </Text>
    </div>
  );
}
