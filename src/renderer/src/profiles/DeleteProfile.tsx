// Deleting a profile removes its vault and every file it has, for good: the user types the profile's
// name to confirm, and the button stays disabled until it matches exactly.
import { Alert, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { ProfileSummary } from '../../../shared/models';
import { call, describeError } from '../client';

export function DeleteProfileForm(props: { profile: ProfileSummary; onDeleted: () => void; onCancel: () => void }) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const matches = typed.trim() === props.profile.name;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!matches) return;
    setBusy(true);
    setError(null);
    try {
      await call('profiles.delete', { profileId: props.profile.id, confirmName: typed.trim() });
      props.onDeleted();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack component="form" gap="sm" onSubmit={(e) => void submit(e)}>
      <Text>
        This removes the profile “{props.profile.name}”, its encrypted vault, its backups and everything waiting in its
        spool from this computer. It cannot be undone. OMI&apos;s cloud copy, if any, is not touched.
      </Text>
      <TextInput
        label={`Type “${props.profile.name}” to confirm`}
        autoComplete="off"
        spellCheck={false}
        value={typed}
        onChange={(e) => setTyped(e.currentTarget.value)}
        data-autofocus
      />
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={props.onCancel}>
          Cancel
        </Button>
        <Button type="submit" color="red" disabled={!matches} loading={busy}>
          Delete profile
        </Button>
      </Group>
    </Stack>
  );
}
