// Sets a new passphrase for a profile: with the current passphrase (change) or the recovery key
// (recover a forgotten one). The vault's key stays the same; only its passphrase wrap is replaced.
import { Alert, Button, Group, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { Credential } from '../../../shared/ipc/contract';
import type { ProfileSummary } from '../../../shared/models';
import { call, describeError } from '../client';

export const MIN_PASSPHRASE = 8;

/** Why a new passphrase pair cannot be used yet, or null when it can. */
export function newPassphraseProblem(passphrase: string, repeat: string): string | null {
  if (passphrase.length < MIN_PASSPHRASE) return `The new passphrase needs at least ${MIN_PASSPHRASE} characters.`;
  if (passphrase !== repeat) return 'The two new passphrases differ.';
  return null;
}

export function PassphraseForm(props: {
  profile: ProfileSummary;
  mode: 'change' | 'recover';
  onDone: (profile: ProfileSummary, newPassphrase: string) => void | Promise<void>;
  onCancel: () => void;
}) {
  const [proof, setProof] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const recover = props.mode === 'recover';

  async function submit(event: FormEvent) {
    event.preventDefault();
    const problem = proof.trim() === '' ? 'Fill in every field.' : newPassphraseProblem(passphrase, repeat);
    if (problem) return setError(problem);
    const credential: Credential = recover
      ? { kind: 'recovery', recoveryKey: proof.trim() }
      : { kind: 'passphrase', passphrase: proof };
    setBusy(true);
    setError(null);
    try {
      const summary = await call('profiles.setPassphrase', {
        profileId: props.profile.id,
        credential,
        newPassphrase: passphrase,
      });
      await props.onDone(summary, passphrase);
    } catch (err) {
      setError(describeError(err, { WRONG_KEY: recover ? 'Wrong recovery key' : 'Wrong current passphrase' }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack component="form" gap="sm" onSubmit={(e) => void submit(e)}>
      {recover ? (
        <TextInput
          label="Recovery key"
          description="The key shown once when the profile was created"
          autoComplete="off"
          spellCheck={false}
          value={proof}
          onChange={(e) => setProof(e.currentTarget.value)}
          data-autofocus
        />
      ) : (
        <PasswordInput
          label="Current passphrase"
          autoComplete="current-password"
          value={proof}
          onChange={(e) => setProof(e.currentTarget.value)}
          data-autofocus
        />
      )}
      <PasswordInput
        label="New passphrase"
        description={`At least ${MIN_PASSPHRASE} characters`}
        autoComplete="new-password"
        value={passphrase}
        onChange={(e) => setPassphrase(e.currentTarget.value)}
      />
      <PasswordInput
        label="Repeat the new passphrase"
        autoComplete="new-password"
        value={repeat}
        onChange={(e) => setRepeat(e.currentTarget.value)}
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
        <Button type="submit" loading={busy}>
          {recover ? 'Set passphrase and unlock' : 'Change passphrase'}
        </Button>
      </Group>
    </Stack>
  );
}
