// Creates a vault protected by a passphrase or by the OS keychain. Either way the main process also
// wraps the key with a recovery key, which the caller shows once.
import { useState, type FormEvent } from 'react';
import type { ProfileSummary } from '../../../shared/models';
import { call, describeError } from '../client';

const MIN_PASSPHRASE = 8;

export function CreateProfile(props: { onCreated: (profile: ProfileSummary, recoveryKey: string) => void }) {
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
      props.onCreated(created.profile, created.recoveryKey);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card">
      <h2>New profile</h2>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label>
          Name
          <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset>
          <legend>Protect the vault with</legend>
          <label className="check">
            <input type="radio" checked={kind === 'passphrase'} onChange={() => setKind('passphrase')} />A passphrase
          </label>
          <label className="check">
            <input type="radio" checked={kind === 'keychain'} onChange={() => setKind('keychain')} />
            The system keychain (unlocks without typing)
          </label>
        </fieldset>
        {kind === 'passphrase' && (
          <>
            <label>
              Passphrase
              <input
                type="password"
                autoComplete="new-password"
                value={passphrase}
                onChange={(e) => setPassphrase(e.target.value)}
              />
            </label>
            <label>
              Repeat the passphrase
              <input
                type="password"
                autoComplete="new-password"
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
              />
            </label>
          </>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create profile'}
          </button>
        </div>
      </form>
    </section>
  );
}
