// Every webhook delivery as received: filter by status and kind, page, view the (scrubbed) payload,
// replay one through ingest again.
import { Alert, Badge, Button, Code, Group, Modal, Pagination, Select, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { InboxEntry } from '../../../shared/models';
import { formatBytes, formatDateTime } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCall, useCallMutation } from '../app/query';
import { Empty, ErrorState, LoadingRows } from '../app/states';
import { describeError } from '../client';

const PAGE = 50;
type Status = 'applied' | 'duplicate' | 'revision' | 'failed';
type Kind = 'conversation' | 'transcript' | 'audio' | 'day-summary';
const STATUS_COLOR: Record<string, string> = { applied: 'teal', duplicate: 'gray', revision: 'blue', failed: 'red' };

export function InboxPanel() {
  const profileId = useProfileId();
  const [status, setStatus] = useState<Status | null>(null);
  const [kind, setKind] = useState<Kind | null>(null);
  const [page, setPage] = useState(1);
  const [viewing, setViewing] = useState<number | null>(null);
  const list = useCall(
    'inbox.list',
    { profileId, status: status ?? undefined, kind: kind ?? undefined, limit: PAGE, offset: (page - 1) * PAGE },
    { placeholderData: (previous) => previous },
  );
  const replay = useCallMutation('inbox.replay', ['inbox.list', 'memories.list', 'conversations.list', 'stats.get']);

  return (
    <Stack gap="sm">
      <Group gap="sm">
        <Select
          aria-label="Status"
          placeholder="Any status"
          clearable
          value={status}
          onChange={(v) => {
            setStatus(v);
            setPage(1);
          }}
          data={['applied', 'duplicate', 'revision', 'failed']}
          w={160}
        />
        <Select
          aria-label="Kind"
          placeholder="Any kind"
          clearable
          value={kind}
          onChange={(v) => {
            setKind(v);
            setPage(1);
          }}
          data={['conversation', 'transcript', 'audio', 'day-summary']}
          w={160}
        />
        <Text size="sm" c="dimmed" ml="auto">
          {list.data ? `${list.data.total.toLocaleString()} deliveries` : '\u00a0'}
        </Text>
      </Group>
      {replay.data && (
        <Alert color="teal" role="status" withCloseButton closeButtonLabel="Dismiss" onClose={() => replay.reset()}>
          Replayed: {replay.data.status}
        </Alert>
      )}
      {replay.error !== null && (
        <Alert color="red" role="alert">
          {describeError(replay.error)}
        </Alert>
      )}
      {list.error && <ErrorState error={list.error} />}
      {list.isPending && <LoadingRows rows={3} height={36} />}
      {list.data?.total === 0 && <Empty>No webhook deliveries yet.</Empty>}
      {list.data && list.data.items.length > 0 && (
        <Table striped highlightOnHover aria-label="Webhook deliveries">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>Received</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
              <Table.Th ta="right">Handling</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.items.map((entry: InboxEntry) => (
              <Table.Tr key={entry.id} className="inbox-row">
                <Table.Td>{entry.id}</Table.Td>
                <Table.Td>{formatDateTime(entry.receivedAt)}</Table.Td>
                <Table.Td>{entry.kind}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={STATUS_COLOR[entry.status] ?? 'gray'}>
                    {entry.status}
                  </Badge>
                  {entry.error && (
                    <Text size="xs" c="red">
                      {entry.error}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td ta="right">{formatBytes(entry.size)}</Table.Td>
                <Table.Td ta="right">{entry.handlingMs === null ? '—' : `${entry.handlingMs.toFixed(1)} ms`}</Table.Td>
                <Table.Td>
                  <Group gap={4} justify="flex-end" wrap="nowrap">
                    <Button size="xs" variant="default" onClick={() => setViewing(entry.id)}>
                      Payload
                    </Button>
                    <Button
                      size="xs"
                      variant="light"
                      loading={replay.isPending && replay.variables?.id === entry.id}
                      onClick={() => replay.mutate({ profileId, id: entry.id })}
                      aria-label={`Replay delivery ${entry.id}`}
                    >
                      Replay
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {list.data && list.data.total > PAGE && (
        <Pagination total={Math.ceil(list.data.total / PAGE)} value={page} onChange={setPage} />
      )}
      <PayloadModal id={viewing} onClose={() => setViewing(null)} />
    </Stack>
  );
}

function PayloadModal(props: { id: number | null; onClose: () => void }) {
  const profileId = useProfileId();
  const entry = useCall('inbox.get', { profileId, id: props.id ?? 1 }, { enabled: props.id !== null });
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={props.id !== null}
      onClose={props.onClose}
      title={`Delivery ${props.id ?? ''}`}
      size="xl"
    >
      {entry.error && <ErrorState error={entry.error} />}
      {entry.isPending && <LoadingRows rows={3} />}
      {entry.data && (
        <Stack gap="xs">
          <Text size="sm" c="dimmed" style={{ wordBreak: 'break-all' }}>
            {entry.data.kind} · {entry.data.status} · {formatBytes(entry.data.size)} · key {entry.data.idempotencyKey}
          </Text>
          {entry.data.payload === null ? (
            <Text c="dimmed">The payload is no longer stored.</Text>
          ) : (
            <Code block aria-label="Payload" mah={480} style={{ overflow: 'auto' }}>
              {entry.data.payload}
            </Code>
          )}
        </Stack>
      )}
    </Modal>
  );
}
