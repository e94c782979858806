// The recovery key is shown exactly once, right after creation; the user must confirm they stored it.
// The key lives only in this component's props: it is dropped as soon as the user continues.
import { useState } from 'react';

export function RecoveryKeyNotice(props: { profileName: string; recoveryKey: string; onDone: () => void }) {
  const [stored, setStored] = useState(false);
  return (
    <section className="card narrow">
      <h2>Your recovery key for “{props.profileName}”</h2>
      <p>
        If you forget your passphrase or move to a new computer, this key is the only way back into this vault. Write it
        down or keep it in a password manager. It will not be shown again.
      </p>
      <p className="recovery-key" aria-label="Recovery key">
        {props.recoveryKey}
      </p>
      <label className="check">
        <input type="checkbox" checked={stored} onChange={(e) => setStored(e.target.checked)} />I have stored my
        recovery key somewhere safe
      </label>
      <div className="actions">
        <button type="button" className="primary" disabled={!stored} onClick={props.onDone}>
          Continue
        </button>
      </div>
    </section>
  );
}
