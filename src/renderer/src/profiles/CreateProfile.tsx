// Creates a vault protected by a passphrase or by the OS keychain. Either way the main process also
// wraps the key with a recovery key, which the caller shows once.
import { Alert, Button, Card, Group, PasswordInput, Radio, Stack, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { ProfileSummary } from '../../../shared/models';
import { call, describeError } from '../client';

const MIN_PASSPHRASE = 8;

export function CreateProfile(props: { onCreated: (profile: ProfileSummary, recoveryKey: string) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'passphrase' | 'keychain'>('passphrase');
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const problem =
    name.trim() === ''
      ? 'Give the profile a name.'
      : kind === 'passphrase' && passphrase.length < MIN_PASSPHRASE
        ? `The passphrase needs at least ${MIN_PASSPHRASE} characters.`
        : kind === 'passphrase' && passphrase !== confirm
          ? 'The two passphrases differ.'
          : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (problem) return setError(problem);
    setBusy(true);
    setError(null);
    try {
      const created = await call('profiles.create', {
        name,
        protection: kind === 'passphrase' ? { kind, passphrase } : { kind },
      });
      setName('');
      setPassphrase('');
      setConfirm('');
      await queryClient.invalidateQueries({ queryKey: ['profiles.list'] });
      props.onCreated(created.profile, created.recoveryKey);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card withBorder padding="lg" component="section" aria-labelledby="new-profile-title">
      <Title order={2} size="h3" mb="sm" id="new-profile-title">
        New profile
      </Title>
      <Stack component="form" gap="sm" onSubmit={(e) => void submit(e)}>
        <TextInput label="Name" value={name} maxLength={100} onChange={(e) => setName(e.currentTarget.value)} />
        <Radio.Group label="Protect the vault with" value={kind} onChange={(v) => setKind(v)}>
          <Group mt={4}>
            <Radio value="passphrase" label="A passphrase" />
            <Radio value="keychain" label="The system keychain" />
          </Group>
        </Radio.Group>
        {kind === 'passphrase' && (
          <Group grow align="flex-start">
            <PasswordInput
              label="Passphrase"
              description={`At least ${MIN_PASSPHRASE} characters`}
              autoComplete="new-password"
              value={passphrase}
              onChange={(e) => setPassphrase(e.currentTarget.value)}
            />
            <PasswordInput
              label="Repeat passphrase"
              description="To be sure it is typed right"
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => setConfirm(e.currentTarget.value)}
            />
          </Group>
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            Create profile
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
