// An unlocked profile: its counts, its memories, and the lock button.
import { useState } from 'react';
import type { ProfileSummary } from '../../../shared/models';
import { call, describeError } from '../client';
import { useLoad } from '../use-load';
import { MemoryList } from './MemoryList';

export function ProfileHome(props: { profile: ProfileSummary; onClose: () => void }) {
  const { profile } = props;
  const stats = useLoad(() => call('stats.get', { profileId: profile.id }), profile.id);
  const [error, setError] = useState<string | null>(null);

  async function lock() {
    try {
      await call('profiles.lock', { profileId: profile.id });
      props.onClose();
    } catch (err) {
      setError(describeError(err));
    }
  }

  const counts = stats.data;
  return (
    <div className="stack">
      <section className="card">
        <div className="row spread">
          <h2>{profile.name}</h2>
          <div className="actions">
            <button type="button" onClick={props.onClose}>
              All profiles
            </button>
            <button type="button" className="primary" onClick={() => void lock()}>
              Lock
            </button>
          </div>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {stats.error !== undefined && <p className="error">{describeError(stats.error)}</p>}
        {counts && (
          <dl className="stats">
            <Stat label="Memories" value={counts.memories} />
            <Stat label="Conversations" value={counts.conversations} />
            <Stat label="Transcript segments" value={counts.segments} />
            <Stat label="Tags" value={counts.tags} />
            <Stat label="In trash" value={counts.trashed} />
          </dl>
        )}
      </section>
      <MemoryList profileId={profile.id} onChanged={stats.reload} />
    </div>
  );
}

function Stat(props: { label: string; value: number }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.value.toLocaleString()}</dd>
    </div>
  );
}
