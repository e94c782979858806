// One memory: edit its content, category, tags and visibility; its version history with restore
// (restoring writes the old version back as a new one, so nothing is lost); delete and restore.
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  Input,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { Link, useParams } from '@tanstack/react-router';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import type { Memory, MemoryVersion } from '../../../shared/models';
import { formatDateTime } from '../app/format';
import { useProfileId } from '../app/profile';
import { TagField } from '../app/TagField';
import { useCall, useCallMutation } from '../app/query';
import { ErrorState, LoadingRows } from '../app/states';
import { describeError } from '../client';
import { diffWords } from './diff';
import { MemoryOriginCard, MemorySyncCard } from './Provenance';

type Category = Memory['category'];
type Visibility = Memory['visibility'];
const CHANGED = ['memories.get', 'memories.list', 'stats.get'] as const;

export function MemoryPage() {
  const profileId = useProfileId();
  const { memoryId } = useParams({ from: '/memory/$memoryId' });
  const memory = useCall('memories.get', { profileId, id: memoryId });
  const update = useCallMutation('memories.update', CHANGED);
  const remove = useCallMutation('memories.delete', CHANGED);
  const restore = useCallMutation('memories.restore', CHANGED);

  const [content, setContent] = useState('');
  const [category, setCategory] = useState<Category>('manual');
  const [visibility, setVisibility] = useState<Visibility>('private');
  const [tags, setTags] = useState<string[]>([]);
  const [saved, setSaved] = useState(false);
  const m = memory.data;
  // Load the form when the memory (or a new version of it) arrives.
  useEffect(() => {
    if (!m) return;
    setContent(m.content);
    setCategory(m.category);
    setVisibility(m.visibility);
    setTags(m.tags);
  }, [m]);

  const dirty =
    m !== undefined &&
    (content !== m.content ||
      category !== m.category ||
      visibility !== m.visibility ||
      tags.join('\n') !== m.tags.join('\n'));

  function save(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    update.mutate(
      { profileId, id: memoryId, content, category, visibility, tags },
      { onSuccess: () => setSaved(true) },
    );
  }

  function restoreVersion(v: MemoryVersion) {
    setSaved(false);
    update.mutate({ profileId, id: memoryId, content: v.content, category: v.category, tags: v.tags });
  }

  const failure = update.error ?? remove.error ?? restore.error;
  return (
    <Stack gap="md" className="page">
      <Anchor renderRoot={(props) => <Link to="/browse" {...props} />} size="sm">
        ← Memories
      </Anchor>
      {memory.error && <ErrorState error={memory.error} />}
      {memory.isPending && <LoadingRows rows={4} />}
      {m && (
        <>
          <Group justify="space-between">
            <Title order={1} size="h2">
              Memory
            </Title>
            <Group gap="xs">
              {m.deletedAt && <Badge color="red">in trash</Badge>}
              <Badge variant="light">from {m.origin}</Badge>
              {m.conversationId && (
                <Anchor
                  renderRoot={(props) => (
                    <Link
                      to="/conversation/$conversationId"
                      params={{ conversationId: m.conversationId! }}
                      {...props}
                    />
                  )}
                >
                  Source conversation
                </Anchor>
              )}
            </Group>
          </Group>
          <Card withBorder>
            <Stack component="form" onSubmit={save} gap="sm">
              <Textarea
                label="Content"
                autosize
                minRows={3}
                maxLength={10_000}
                value={content}
                onChange={(e) => setContent(e.currentTarget.value)}
              />
              <Group align="flex-end" grow>
                <Select
                  label="Category"
                  value={category}
                  allowDeselect={false}
                  onChange={(v) => v && setCategory(v)}
                  data={[
                    { value: 'manual', label: 'Manual' },
                    { value: 'interesting', label: 'Interesting' },
                    { value: 'system', label: 'System' },
                  ]}
                />
                <div>
                  <Input.Label id="visibility-label">Visibility</Input.Label>
                  <SegmentedControl
                    aria-labelledby="visibility-label"
                    fullWidth
                    value={visibility}
                    onChange={(v) => setVisibility(v)}
                    data={[
                      { value: 'private', label: 'Private' },
                      { value: 'public', label: 'Public' },
                    ]}
                  />
                </div>
              </Group>
              <TagField label="Tags" description="Press Enter after each tag" value={tags} onChange={setTags} />
              {failure !== null && (
                <Alert color="red" role="alert">
                  {describeError(failure)}
                </Alert>
              )}
              <Group justify="space-between">
                <Text size="xs" c="dimmed">
                  Created {formatDateTime(m.createdAt)} · updated {formatDateTime(m.updatedAt)}
                  {saved && !dirty ? ' · Saved' : ''}
                </Text>
                <Group gap="xs">
                  {m.deletedAt ? (
                    <Button
                      variant="default"
                      loading={restore.isPending}
                      onClick={() => restore.mutate({ profileId, id: memoryId })}
                    >
                      Restore from trash
                    </Button>
                  ) : (
                    <Button
                      color="red"
                      variant="light"
                      loading={remove.isPending}
                      onClick={() => remove.mutate({ profileId, id: memoryId })}
                    >
                      Move to trash
                    </Button>
                  )}
                  <Button type="submit" disabled={!dirty || content.trim() === ''} loading={update.isPending}>
                    Save
                  </Button>
                </Group>
              </Group>
            </Stack>
          </Card>
          <MemoryOriginCard provenance={m.provenance} />
          <MemorySyncCard memoryId={m.id} sync={m.sync} />
          <Card withBorder>
            <Title order={2} size="h4" mb="xs">
              History
            </Title>
            {m.versions.length === 0 && (
              <Text size="sm" c="dimmed">
                No earlier versions: this memory has not been changed since it was created.
              </Text>
            )}
            <Table
              aria-label="Version history"
              verticalSpacing="xs"
              style={{ display: m.versions.length === 0 ? 'none' : undefined }}
            >
              <Table.Thead>
                <Table.Tr>
                  <Table.Th w={50}>#</Table.Th>
                  <Table.Th>This version, and what the next change did to it</Table.Th>
                  <Table.Th w={170}>Changed</Table.Th>
                  <Table.Th w={100} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {[...m.versions]
                  .sort((a, b) => b.version - a.version)
                  .map((v) => (
                    <Table.Tr key={v.version} className="version">
                      <Table.Td>{v.version}</Table.Td>
                      <Table.Td>
                        <Diff before={v.content} after={nextContent(m, v)} />
                        <Text size="xs" c="dimmed">
                          {v.category}
                          {v.tags.length > 0 ? ` · ${v.tags.join(', ')}` : ''} · {v.reason} by {v.changedBy}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs">{formatDateTime(v.changedAt)}</Text>
                      </Table.Td>
                      <Table.Td>
                        {v.content !== m.content || v.category !== m.category || v.tags.join() !== m.tags.join() ? (
                          <Button
                            size="xs"
                            variant="default"
                            onClick={() => restoreVersion(v)}
                            aria-label={`Restore version ${v.version}`}
                          >
                            Restore
                          </Button>
                        ) : (
                          <Text size="xs" c="dimmed">
                            same as now
                          </Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
              </Table.Tbody>
            </Table>
          </Card>
        </>
      )}
    </Stack>
  );
}

/** The text that followed a version: the next version's, or the memory's current text. */
function nextContent(m: { content: string; versions: MemoryVersion[] }, v: MemoryVersion): string {
  const later = m.versions.filter((o) => o.version > v.version).sort((a, b) => a.version - b.version)[0];
  return later ? later.content : m.content;
}

function Diff(props: { before: string; after: string }) {
  const parts = useMemo(() => diffWords(props.before, props.after), [props.before, props.after]);
  return (
    <Text size="sm">
      {parts.map((part, i) =>
        part.op === 'same' ? (
          <span key={i}>{part.text}</span>
        ) : part.op === 'del' ? (
          <del key={i} className="diff-del">
            {part.text}
          </del>
        ) : (
          <ins key={i} className="diff-ins">
            {part.text}
          </ins>
        ),
      )}
    </Text>
  );
}
