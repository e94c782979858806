// Unlocks one profile with its passphrase, the OS keychain or the recovery key.
import { Button, Group, NativeSelect, PasswordInput, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Credential } from '../../../shared/ipc/contract';
import type { ProfileSummary } from '../../../shared/models';
import { call, describeError } from '../client';

type Method = Credential['kind'];

const WRONG_KEY: Record<Method, string> = {
  passphrase: 'Wrong passphrase',
  recovery: 'Wrong recovery key',
  keychain: 'The system keychain could not open this vault; use the passphrase or recovery key',
};
const LABEL: Record<Method, string> = {
  passphrase: 'Passphrase',
  keychain: 'System keychain',
  recovery: 'Recovery key',
};

export function UnlockForm(props: { profile: ProfileSummary; onUnlocked: (profile: ProfileSummary) => void }) {
  const { profile } = props;
  const queryClient = useQueryClient();
  const initial: Method = profile.protection.includes('passphrase')
    ? 'passphrase'
    : profile.protection.includes('keychain')
      ? 'keychain'
      : 'recovery';
  const [method, setMethod] = useState<Method>(initial);
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function unlock(event?: FormEvent) {
    event?.preventDefault();
    const credential: Credential =
      method === 'passphrase'
        ? { kind: 'passphrase', passphrase: secret }
        : method === 'recovery'
          ? { kind: 'recovery', recoveryKey: secret }
          : { kind: 'keychain' };
    setBusy(true);
    setError(null);
    try {
      const unlocked = await call('profiles.unlock', { profileId: profile.id, credential });
      setSecret('');
      await queryClient.invalidateQueries({ queryKey: ['profiles.list'] });
      props.onUnlocked(unlocked);
    } catch (err) {
      setError(describeError(err, { WRONG_KEY: WRONG_KEY[method] }));
    } finally {
      setBusy(false);
    }
  }

  const methods = (['passphrase', 'keychain', 'recovery'] as const).filter((m) => profile.protection.includes(m));
  return (
    <Stack component="form" gap={4} onSubmit={(e) => void unlock(e)} w={360}>
      <Group gap="xs" wrap="nowrap" align="flex-end">
        {method === 'keychain' ? (
          <Button type="submit" loading={busy}>
            Unlock with system keychain
          </Button>
        ) : (
          <>
            <PasswordInput
              style={{ flex: 1 }}
              autoComplete="off"
              aria-label={LABEL[method]}
              placeholder={LABEL[method]}
              value={secret}
              error={error !== null}
              onChange={(e) => setSecret(e.currentTarget.value)}
            />
            <Button type="submit" loading={busy} disabled={secret === ''}>
              Unlock
            </Button>
          </>
        )}
      </Group>
      {methods.length > 1 && (
        <NativeSelect
          size="xs"
          aria-label="Unlock with"
          value={method}
          data={methods.map((m) => ({ value: m, label: LABEL[m] }))}
          onChange={(e) => {
            setMethod(e.currentTarget.value as Method);
            setSecret('');
            setError(null);
          }}
        />
      )}
      {error && (
        <Text c="red" size="sm" role="alert">
          {error}
        </Text>
      )}
    </Stack>
  );
}
