// The `doctor` report for the open profile: integrity, FTS and vector consistency, WAL size, pending
// outbox, spool backlog, key-store backend. Runs when the tab opens and again on demand.
import { Badge, Button, Group, Table, Text } from '@mantine/core';
import { useProfileId } from '../app/profile';
import { useCall } from '../app/query';
import { ErrorState, LoadingRows } from '../app/states';

export function DoctorPanel() {
  const profileId = useProfileId();
  const report = useCall('doctor.run', { profileId }, { staleTime: 0 });
  return (
    <>
      <Group justify="space-between" mb="sm">
        <Group gap="xs">
          <Text fw={600}>Health</Text>
          {report.data && (
            <Badge color={report.data.healthy ? 'teal' : 'red'} variant="light">
              {report.data.healthy ? 'healthy' : 'unhealthy'}
            </Badge>
          )}
        </Group>
        <Button size="xs" variant="default" loading={report.isFetching} onClick={() => void report.refetch()}>
          Run again
        </Button>
      </Group>
      {report.error && <ErrorState error={report.error} />}
      {report.isPending && <LoadingRows rows={5} height={28} />}
      {report.data && (
        <Table aria-label="Doctor report" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Check</Table.Th>
              <Table.Th>Result</Table.Th>
              <Table.Th>Detail</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.data.checks.map((check) => (
              <Table.Tr key={check.name} className="doctor-check">
                <Table.Td>{check.name}</Table.Td>
                <Table.Td>
                  <Badge color={check.ok ? 'teal' : 'red'} variant="light">
                    {check.ok ? 'ok' : 'failed'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: 'break-word' }}>
                    {check.detail}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
