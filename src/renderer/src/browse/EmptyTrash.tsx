// Empties the trash after a confirmation: every trashed memory and conversation is removed for good.
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useProfileId } from '../app/profile';
import { useCall, useCallMutation } from '../app/query';
import { describeError } from '../client';

export function EmptyTrash() {
  const profileId = useProfileId();
  const [opened, { open, close }] = useDisclosure(false);
  const stats = useCall('stats.get', { profileId });
  const empty = useCallMutation('trash.empty', [
    'memories.list',
    'conversations.list',
    'stats.get',
    'browse.facets',
    'search.query',
  ]);
  const trashed = stats.data?.trashed;

  return (
    <>
      <Button color="red" variant="light" size="xs" onClick={open} disabled={trashed === 0}>
        Empty trash…
      </Button>
      <Modal opened={opened} onClose={close} title="Empty the trash?">
        <Stack>
          <Text>
            {trashed === undefined
              ? 'Everything in the trash'
              : `${trashed.toLocaleString()} ${trashed === 1 ? 'item' : 'items'} in the trash`}{' '}
            will be deleted for good, with their history and transcripts. This cannot be undone.
          </Text>
          {empty.error !== null && (
            <Alert color="red" role="alert">
              {describeError(empty.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={empty.isPending}
              onClick={() => empty.mutate({ profileId }, { onSuccess: close })}
            >
              Delete for good
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
