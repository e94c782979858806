// Unlocks one profile with its passphrase, the OS keychain or the recovery key.
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

export function UnlockForm(props: { profile: ProfileSummary; onUnlocked: (profile: ProfileSummary) => void }) {
  const { profile } = props;
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
      props.onUnlocked(unlocked);
    } catch (err) {
      setError(describeError(err, { WRONG_KEY: WRONG_KEY[method] }));
    } finally {
      setBusy(false);
    }
  }

  const methods = (['passphrase', 'keychain', 'recovery'] as const).filter((m) => profile.protection.includes(m));
  return (
    <form className="unlock" onSubmit={(e) => void unlock(e)}>
      {method === 'keychain' ? (
        <button type="submit" className="primary" disabled={busy}>
          Unlock with system keychain
        </button>
      ) : (
        <>
          <input
            type="password"
            autoComplete="off"
            aria-label={method === 'passphrase' ? 'Passphrase' : 'Recovery key'}
            placeholder={method === 'passphrase' ? 'Passphrase' : 'Recovery key'}
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
          />
          <button type="submit" className="primary" disabled={busy || secret === ''}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </>
      )}
      {methods.length > 1 && (
        <select
          aria-label="Unlock with"
          value={method}
          onChange={(e) => {
            setMethod(e.target.value as Method);
            setSecret('');
            setError(null);
          }}
        >
          {methods.map((m) => (
            <option key={m} value={m}>
              {m === 'passphrase' ? 'Passphrase' : m === 'keychain' ? 'System keychain' : 'Recovery key'}
            </option>
          ))}
        </select>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
