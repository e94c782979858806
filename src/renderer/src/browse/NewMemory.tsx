// Adds a memory by hand, in a modal.
import { Alert, Button, Group, Modal, Stack, Textarea } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useState, type FormEvent } from 'react';
import { useProfileId } from '../app/profile';
import { TagField } from '../app/TagField';
import { useCallMutation } from '../app/query';
import { describeError } from '../client';

export function NewMemory() {
  const profileId = useProfileId();
  const [opened, { open, close }] = useDisclosure(false);
  const [content, setContent] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const create = useCallMutation('memories.create', ['memories.list', 'stats.get']);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { profileId, content, tags },
      {
        onSuccess: () => {
          setContent('');
          setTags([]);
          close();
        },
      },
    );
  }

  return (
    <>
      <Button onClick={open}>New memory</Button>
      <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened={opened} onClose={close} title="New memory">
        <Stack component="form" onSubmit={submit}>
          <Textarea
            label="Memory"
            data-autofocus
            autosize
            minRows={3}
            maxLength={10_000}
            value={content}
            onChange={(e) => setContent(e.currentTarget.value)}
          />
          <TagField label="Tags" description="Press Enter after each tag" value={tags} onChange={setTags} />
          {create.error !== null && (
            <Alert color="red" role="alert">
              {describeError(create.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending} disabled={content.trim() === ''}>
              Add memory
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
