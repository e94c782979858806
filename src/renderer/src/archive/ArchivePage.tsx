// Archive: export (format, optional filters and passphrase), import (inspect the manifest, choose a strategy) with
// progress from the archive.progress push, and the automatic backups with back up now and restore.
// Paths are typed: the headless page has no native file dialog, and the desktop app reaches the
// same channels.
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Code,
  Fieldset,
  Group,
  Modal,
  MultiSelect,
  PasswordInput,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { useQuery } from '@tanstack/react-query';
import dayjs from 'dayjs';
import { useState, type FormEvent } from 'react';
import type { ChannelInput } from '../../../shared/ipc/contract';
import type { ArchiveCounts, ArchiveProgress, BackupInfo, ImportReport } from '../../../shared/models';
import { formatBytes, formatDateTime } from '../app/format';
import { useProfileId } from '../app/profile';
import { useCall, useCallMutation } from '../app/query';
import { Empty, ErrorState } from '../app/states';
import { describeError } from '../client';

type Strategy = 'skip' | 'overwrite' | 'newer';
const STRATEGIES = [
  { value: 'skip', label: 'Skip records I already have' },
  { value: 'newer', label: 'Keep the newer version' },
  { value: 'overwrite', label: 'Overwrite with the archive' },
];
const DATA_CHANNELS = ['memories.list', 'conversations.list', 'stats.get', 'memories.get', 'backups.list'] as const;

export function ArchivePage() {
  return (
    <Stack gap="md" className="page">
      <Title order={1} size="h2">
        Archive
      </Title>
      <ProgressBar />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <ExportCard />
        <ImportCard />
      </SimpleGrid>
      <BackupsCard />
    </Stack>
  );
}

function ProgressBar() {
  const profileId = useProfileId();
  // Written by the archive.progress push (app/query.ts); never fetched.
  const progress = useQuery<ArchiveProgress | null>({
    queryKey: ['archive.progress', profileId],
    queryFn: () => null,
    enabled: false,
  }).data;
  if (!progress) return null;
  const value = progress.total ? Math.min(100, (progress.done / progress.total) * 100) : 100;
  return (
    <Card withBorder padding="sm" aria-live="polite">
      <Text size="sm" mb={4}>
        {progress.operation}: {progress.phase} ({progress.done.toLocaleString()}
        {progress.total ? ` of ${progress.total.toLocaleString()}` : ''})
      </Text>
      <Progress
        value={value}
        animated={progress.total !== null && progress.done < progress.total}
        aria-label="Progress"
      />
    </Card>
  );
}

interface ExportFilter {
  from: string | null;
  to: string | null;
  kinds: ('conversations' | 'memories' | 'daySummaries')[];
  tags: string[];
  embeddings: boolean;
}

/** The form's filter as the archive.export input: local days as whole days, empty choices left out. */
function archiveFilter(f: ExportFilter): ChannelInput<'archive.export'>['filter'] {
  const filter = {
    ...(f.from ? { from: dayjs(f.from).startOf('day').toISOString() } : {}),
    ...(f.to ? { to: dayjs(f.to).endOf('day').toISOString() } : {}),
    ...(f.kinds.length ? { kinds: f.kinds } : {}),
    ...(f.tags.length ? { tags: f.tags } : {}),
    ...(f.embeddings ? { embeddings: true } : {}),
  };
  // Nothing chosen: a whole export, recorded as unfiltered in the manifest.
  return Object.keys(filter).length > 0 ? filter : undefined;
}

export function ExportCard() {
  const profileId = useProfileId();
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<'angelmem' | 'markdown'>('angelmem');
  const [passphrase, setPassphrase] = useState('');
  const [filter, setFilter] = useState<ExportFilter>({ from: null, to: null, kinds: [], tags: [], embeddings: false });
  const exp = useCallMutation('archive.export');

  function submit(event: FormEvent) {
    event.preventDefault();
    exp.mutate({ profileId, path, format, passphrase: passphrase || undefined, filter: archiveFilter(filter) });
  }

  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Export
      </Title>
      <Stack component="form" gap="sm" onSubmit={submit}>
        <TextInput
          label="Export to"
          description="A file path on this computer"
          placeholder="/home/me/angel-memory.angelmem"
          value={path}
          onChange={(e) => setPath(e.currentTarget.value)}
        />
        <Select
          label="Format"
          allowDeselect={false}
          value={format}
          onChange={(v) => v && setFormat(v)}
          data={[
            { value: 'angelmem', label: 'Angel Memory archive (.angelmem)' },
            { value: 'markdown', label: 'Markdown (readable, not re-importable)' },
          ]}
        />
        <Fieldset legend="Only part of the vault (optional)" variant="filled">
          <Stack gap="xs">
            <DatePickerInput
              type="range"
              label="Dates"
              description="By when a memory was made or a conversation started"
              placeholder="Any time"
              clearable
              clearButtonProps={{ 'aria-label': 'Clear dates' }}
              allowSingleDateInRange
              valueFormat="D MMM YYYY"
              value={[filter.from, filter.to]}
              onChange={([from, to]) => setFilter({ ...filter, from, to })}
            />
            <MultiSelect
              label="What"
              placeholder={filter.kinds.length ? undefined : 'Everything'}
              value={filter.kinds}
              onChange={(kinds) => setFilter({ ...filter, kinds })}
              data={[
                { value: 'conversations', label: 'Conversations' },
                { value: 'memories', label: 'Memories' },
                { value: 'daySummaries', label: 'Day summaries' },
              ]}
            />
            <TagsInput
              label="Memories tagged"
              placeholder={filter.tags.length ? undefined : 'Any tag'}
              value={filter.tags}
              onChange={(tags) => setFilter({ ...filter, tags })}
            />
            <Checkbox
              label="Include embeddings"
              checked={filter.embeddings}
              onChange={(e) => setFilter({ ...filter, embeddings: e.currentTarget.checked })}
            />
          </Stack>
        </Fieldset>
        <PasswordInput
          label="Archive passphrase"
          description="Optional: encrypts the archive. It is not stored anywhere."
          autoComplete="new-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.currentTarget.value)}
        />
        {exp.error !== null && (
          <Alert color="red" role="alert">
            {describeError(exp.error)}
          </Alert>
        )}
        {exp.data && (
          <Alert color="teal" role="status" title="Exported">
            <Text size="sm">
              {formatBytes(exp.data.bytes)} {exp.data.encrypted ? 'encrypted ' : ''}to <Code>{exp.data.path}</Code>
            </Text>
            <CountsLine counts={exp.data.counts} />
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={exp.isPending} disabled={path.trim() === ''}>
            Export
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function ImportCard() {
  const profileId = useProfileId();
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<'angelmem' | 'omi-conversations' | 'omi-memories'>('angelmem');
  const [passphrase, setPassphrase] = useState('');
  const [strategy, setStrategy] = useState<Strategy>('skip');
  const inspect = useCallMutation('archive.inspect');
  const imp = useCallMutation('archive.import', DATA_CHANNELS);
  const secret = passphrase || undefined;

  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Import
      </Title>
      <Stack gap="sm">
        <TextInput
          label="Import from"
          description="A file path on this computer"
          value={path}
          onChange={(e) => {
            setPath(e.currentTarget.value);
            inspect.reset();
            imp.reset();
          }}
        />
        <Select
          label="Format"
          allowDeselect={false}
          value={format}
          onChange={(v) => v && setFormat(v)}
          data={[
            { value: 'angelmem', label: 'Angel Memory archive' },
            { value: 'omi-conversations', label: 'OMI conversations export (JSON)' },
            { value: 'omi-memories', label: 'OMI memories export (JSON)' },
          ]}
        />
        <PasswordInput
          label="Archive passphrase"
          description="Only for an encrypted archive"
          autoComplete="off"
          value={passphrase}
          onChange={(e) => setPassphrase(e.currentTarget.value)}
        />
        {format === 'angelmem' && (
          <Group justify="flex-end">
            <Button
              variant="default"
              disabled={path.trim() === ''}
              loading={inspect.isPending}
              onClick={() => inspect.mutate({ path, passphrase: secret })}
            >
              Inspect
            </Button>
          </Group>
        )}
        {inspect.data && (
          <Card withBorder padding="sm" aria-label="Archive manifest">
            <Text size="sm" fw={600}>
              {inspect.data.profile.name} · {formatDateTime(inspect.data.createdAt)}
            </Text>
            <Text size="xs" c="dimmed">
              format {inspect.data.format} {inspect.data.formatVersion} · app {inspect.data.appVersion}
              {inspect.data.encrypted ? ' · encrypted' : ''}
            </Text>
            <CountsLine counts={inspect.data.counts} />
          </Card>
        )}
        {(inspect.data || format !== 'angelmem') && (
          <>
            <Select
              label="When a record already exists"
              allowDeselect={false}
              value={strategy}
              onChange={(v) => v && setStrategy(v as Strategy)}
              data={STRATEGIES}
            />
            <Group justify="flex-end">
              <Button
                loading={imp.isPending}
                disabled={path.trim() === ''}
                onClick={() => imp.mutate({ profileId, path, format, strategy, passphrase: secret })}
              >
                Import
              </Button>
            </Group>
          </>
        )}
        {(inspect.error ?? imp.error) !== null && (
          <Alert color="red" role="alert">
            {describeError(inspect.error ?? imp.error)}
          </Alert>
        )}
        {imp.data && <ReportView report={imp.data} />}
      </Stack>
    </Card>
  );
}

function ReportView(props: { report: ImportReport; title?: string }) {
  const { report } = props;
  return (
    <Alert
      color={report.rejected.length ? 'yellow' : 'teal'}
      role="status"
      title={props.title ?? (report.changed ? 'Imported' : 'Nothing new to import')}
    >
      <Table.ScrollContainer minWidth={420}>
        <Table fz="xs" horizontalSpacing={6} aria-label="Import report">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Table</Table.Th>
              <Table.Th>New</Table.Th>
              <Table.Th>Replaced</Table.Th>
              <Table.Th>Same</Table.Th>
              <Table.Th>Skipped</Table.Th>
              <Table.Th>Rejected</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {Object.entries(report.counts).map(([table, c]) => (
              <Table.Tr key={table}>
                <Table.Td>{table}</Table.Td>
                <Table.Td>{c.inserted}</Table.Td>
                <Table.Td>{c.replaced}</Table.Td>
                <Table.Td>{c.unchanged}</Table.Td>
                <Table.Td>{c.skipped}</Table.Td>
                <Table.Td>{c.rejected}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {report.rejected.slice(0, 20).map((r) => (
        <Text key={`${r.table}:${r.id}`} size="xs" c="red">
          {r.table} {r.id}: {r.reason}
        </Text>
      ))}
    </Alert>
  );
}

function CountsLine(props: { counts: ArchiveCounts }) {
  const c = props.counts;
  return (
    <Text size="sm">
      {[
        plural(c.conversations, 'conversation'),
        plural(c.segments, 'segment'),
        plural(c.memories, 'memory', 'memories'),
        plural(c.memoryVersions, 'version'),
        plural(c.daySummaries, 'day summary', 'day summaries'),
      ].join(' · ')}
    </Text>
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

function BackupsCard() {
  const profileId = useProfileId();
  const backups = useCall('backups.list', { profileId });
  const create = useCallMutation('backups.create', ['backups.list']);
  const [restoring, setRestoring] = useState<BackupInfo | null>(null);

  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          Backups
        </Title>
        <Button size="xs" loading={create.isPending} onClick={() => create.mutate({ profileId })}>
          Back up now
        </Button>
      </Group>
      {create.error !== null && (
        <Alert color="red" role="alert" mb="xs">
          {describeError(create.error)}
        </Alert>
      )}
      {backups.error && <ErrorState error={backups.error} />}
      {backups.data?.length === 0 && <Empty>No backups yet.</Empty>}
      {backups.data && backups.data.length > 0 && (
        <Table aria-label="Backups">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Backup</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th ta="right">Size</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {backups.data.map((b) => (
              <Table.Tr key={b.name}>
                <Table.Td>{b.name}</Table.Td>
                <Table.Td>{formatDateTime(b.createdAt)}</Table.Td>
                <Table.Td ta="right">{formatBytes(b.bytes)}</Table.Td>
                <Table.Td ta="right">
                  <Button size="xs" variant="default" onClick={() => setRestoring(b)}>
                    Restore
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <RestoreModal backup={restoring} onClose={() => setRestoring(null)} />
    </Card>
  );
}

/**
 * Restores one backup into this profile (with a strategy) or as a new profile; a new profile's
 * recovery key is shown here once, as at creation, and must be confirmed before the dialog closes.
 */
function RestoreModal(props: { backup: BackupInfo | null; onClose: () => void }) {
  const profileId = useProfileId();
  const restore = useCallMutation('backups.restore', [...DATA_CHANNELS, 'profiles.list']);
  const [target, setTarget] = useState<'existing' | 'new'>('existing');
  const [strategy, setStrategy] = useState<Strategy>('skip');
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [stored, setStored] = useState(false);

  function close() {
    restore.reset();
    setName('');
    setPassphrase('');
    setStored(false);
    props.onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!props.backup) return;
    restore.mutate({
      profileId,
      name: props.backup.name,
      into:
        target === 'existing'
          ? { kind: 'existing', profileId, strategy }
          : { kind: 'new', name, protection: { kind: 'passphrase', passphrase } },
    });
  }

  const result = restore.data;
  const mustConfirm = result?.recoveryKey != null && !stored;
  return (
    <Modal
      closeButtonProps={{ 'aria-label': 'Close' }}
      opened={props.backup !== null}
      onClose={() => !mustConfirm && close()}
      withCloseButton={!mustConfirm}
      closeOnClickOutside={!mustConfirm}
      closeOnEscape={!mustConfirm}
      title="Restore a backup"
      size="lg"
    >
      {result ? (
        <Stack>
          <ReportView
            report={result.report}
            title={
              result.recoveryKey
                ? 'Restored as a new profile'
                : result.report.changed
                  ? 'Backup restored'
                  : 'Backup restored: nothing was missing'
            }
          />
          {result.recoveryKey && (
            <>
              <Text size="sm">
                The recovery key for the new profile. It is the only way back in if the passphrase is lost, and it will
                not be shown again.
              </Text>
              <Code block aria-label="Recovery key" style={{ wordBreak: 'break-all', whiteSpace: 'pre-wrap' }}>
                {result.recoveryKey}
              </Code>
              <Checkbox
                checked={stored}
                onChange={(e) => setStored(e.currentTarget.checked)}
                label="I have stored this recovery key somewhere safe"
              />
            </>
          )}
          <Group justify="flex-end">
            <Button disabled={mustConfirm} onClick={close}>
              Done
            </Button>
          </Group>
        </Stack>
      ) : (
        <Stack component="form" onSubmit={submit}>
          <Text size="sm">
            Restore <Code>{props.backup?.name}</Code>
          </Text>
          <SegmentedControl
            aria-label="Restore into"
            value={target}
            onChange={(v) => setTarget(v === 'new' ? 'new' : 'existing')}
            data={[
              { value: 'existing', label: 'Into this profile' },
              { value: 'new', label: 'As a new profile' },
            ]}
          />
          {target === 'existing' ? (
            <Select
              label="When a record already exists"
              allowDeselect={false}
              value={strategy}
              onChange={(v) => v && setStrategy(v as Strategy)}
              data={STRATEGIES}
            />
          ) : (
            <>
              <TextInput
                label="New profile name"
                value={name}
                maxLength={100}
                onChange={(e) => setName(e.currentTarget.value)}
              />
              <PasswordInput
                label="Passphrase for the new profile"
                description="At least 8 characters"
                autoComplete="new-password"
                value={passphrase}
                onChange={(e) => setPassphrase(e.currentTarget.value)}
              />
            </>
          )}
          {restore.error !== null && (
            <Alert color="red" role="alert">
              {describeError(restore.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={restore.isPending}
              disabled={target === 'new' && (name.trim() === '' || passphrase.length < 8)}
            >
              Restore
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
