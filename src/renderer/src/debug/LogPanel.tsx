// The log viewer: the newest lines of the app's log (secrets were scrubbed when they were written),
// filtered by minimum level and by text on the main process side. Refreshes every few seconds.
import { Badge, Code, Group, NativeSelect, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import type { ChannelInput } from '../../../shared/ipc/contract';
import { formatDateTime } from '../app/format';
import { useCall } from '../app/query';
import { Empty, ErrorState, LoadingRows } from '../app/states';

type Level = NonNullable<ChannelInput<'logs.tail'>['level']>;
const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];
const COLOR: Record<string, string> = {
  trace: 'gray',
  debug: 'gray',
  info: 'blue',
  warn: 'yellow',
  error: 'red',
  fatal: 'red',
};

export function LogPanel() {
  const [level, setLevel] = useState<Level>('info');
  const [text, setText] = useState('');
  const [query] = useDebouncedValue(text.trim(), 250);
  const logs = useCall(
    'logs.tail',
    { level, limit: 200, ...(query ? { text: query } : {}) },
    { refetchInterval: 5_000, placeholderData: (previous) => previous },
  );
  return (
    <>
      <Group gap="sm" mb="sm" align="flex-end">
        <NativeSelect
          label="Level"
          value={level}
          data={LEVELS.map((l) => ({ value: l, label: `${l} and above` }))}
          onChange={(e) => setLevel(e.currentTarget.value as Level)}
          w={180}
        />
        <TextInput label="Contains" value={text} onChange={(e) => setText(e.currentTarget.value)} w={260} />
      </Group>
      {logs.error && <ErrorState error={logs.error} />}
      {logs.isPending && <LoadingRows rows={6} height={28} />}
      {logs.data?.length === 0 && <Empty>No log lines match.</Empty>}
      {logs.data && logs.data.length > 0 && (
        <Table aria-label="Log" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time</Table.Th>
              <Table.Th>Level</Table.Th>
              <Table.Th>Module</Table.Th>
              <Table.Th>Message</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {logs.data.map((line, i) => (
              <Table.Tr key={`${line.time}-${i}`} className="log-line">
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(line.time)}</Table.Td>
                <Table.Td>
                  <Badge size="sm" variant="light" color={COLOR[line.level]}>
                    {line.level}
                  </Badge>
                </Table.Td>
                <Table.Td>{line.module ?? ''}</Table.Td>
                <Table.Td>
                  <Text size="sm">{line.msg}</Text>
                  <Code style={{ wordBreak: 'break-all' }}>{line.detail}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}
