// Multi-select on the memory list: tag, move to the trash or restore every selected memory at once.
// The contract has per-memory verbs only, so a bulk action is one call per memory (in parallel); the
// lists refresh once at the end.
import { Button, Group, Popover, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Memory } from '../../../shared/models';
import { useProfileId } from '../app/profile';
import { call, describeError } from '../client';

type Action = { kind: 'tag'; tag: string } | { kind: 'delete' } | { kind: 'restore' };

export function SelectionBar(props: { selected: Map<string, Memory>; trash: boolean; onDone: () => void }) {
  const profileId = useProfileId();
  const queryClient = useQueryClient();
  const [tag, setTag] = useState('');
  const [tagging, setTagging] = useState(false);
  const bulk = useMutation({
    mutationFn: async (action: Action) => {
      const memories = [...props.selected.values()];
      await Promise.all(
        memories.map((m) =>
          action.kind === 'tag'
            ? call('memories.update', {
                profileId,
                id: m.id,
                tags: [...new Set([...m.tags, action.tag])],
              })
            : call(action.kind === 'delete' ? 'memories.delete' : 'memories.restore', { profileId, id: m.id }),
        ),
      );
    },
    onSettled: async () => {
      await Promise.all(
        (['memories.list', 'memories.get', 'stats.get'] as const).map((c) =>
          queryClient.invalidateQueries({ queryKey: [c] }),
        ),
      );
    },
    onSuccess: () => {
      setTag('');
      setTagging(false);
      props.onDone();
    },
  });

  function addTag(event: FormEvent) {
    event.preventDefault();
    if (tag.trim()) bulk.mutate({ kind: 'tag', tag: tag.trim() });
  }

  return (
    <Group gap="xs" ml="auto" wrap="nowrap" aria-label="Selection">
      {bulk.error !== null && (
        <Text size="sm" c="red" role="alert">
          {describeError(bulk.error)}
        </Text>
      )}
      <Text size="sm" fw={600}>
        {props.selected.size} selected
      </Text>
      {props.trash ? (
        <Button size="xs" loading={bulk.isPending} onClick={() => bulk.mutate({ kind: 'restore' })}>
          Restore selected
        </Button>
      ) : (
        <>
          <Popover opened={tagging} onChange={setTagging} trapFocus position="bottom-end">
            <Popover.Target>
              <Button size="xs" variant="default" onClick={() => setTagging((o) => !o)}>
                Add tag
              </Button>
            </Popover.Target>
            <Popover.Dropdown>
              <Stack component="form" gap="xs" onSubmit={addTag}>
                <TextInput
                  size="xs"
                  label="Tag for the selected memories"
                  value={tag}
                  maxLength={64}
                  onChange={(e) => setTag(e.currentTarget.value)}
                />
                <Button size="xs" type="submit" loading={bulk.isPending} disabled={tag.trim() === ''}>
                  Add
                </Button>
              </Stack>
            </Popover.Dropdown>
          </Popover>
          <Button
            size="xs"
            color="red"
            variant="light"
            loading={bulk.isPending}
            onClick={() => bulk.mutate({ kind: 'delete' })}
          >
            Move to trash
          </Button>
        </>
      )}
      <Button size="xs" variant="subtle" onClick={props.onDone}>
        Clear
      </Button>
    </Group>
  );
}
