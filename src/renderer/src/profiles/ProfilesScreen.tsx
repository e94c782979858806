// The profile list: open an unlocked profile, unlock a locked one, or create a new vault.
import { useEffect } from 'react';
import type { ProfileSummary } from '../../../shared/models';
import { call, describeError, subscribe } from '../client';
import { useLoad } from '../use-load';
import { CreateProfile } from './CreateProfile';
import { UnlockForm } from './UnlockForm';

export function ProfilesScreen(props: {
  onOpen: (profile: ProfileSummary) => void;
  onCreated: (profile: ProfileSummary, recoveryKey: string) => void;
}) {
  const profiles = useLoad(() => call('profiles.list', {}), 'profiles');
  const { reload } = profiles;
  useEffect(() => subscribe('profiles.changed', reload), [reload]);

  return (
    <div className="stack">
      <section className="card">
        <h2>Profiles</h2>
        {profiles.error !== undefined && <p className="error">{describeError(profiles.error)}</p>}
        {profiles.data?.length === 0 && <p className="muted">No profiles yet. Create one below.</p>}
        <ul className="profile-list">
          {profiles.data?.map((profile) => (
            <li key={profile.id} className="profile-row">
              <div>
                <strong>{profile.name}</strong>
                <span className={profile.locked ? 'badge' : 'badge open'}>
                  {profile.locked ? 'Locked' : 'Unlocked'}
                </span>
                <div className="muted small">Created {new Date(profile.createdAt).toLocaleDateString()}</div>
              </div>
              {profile.locked ? (
                <UnlockForm profile={profile} onUnlocked={props.onOpen} />
              ) : (
                <button type="button" className="primary" onClick={() => props.onOpen(profile)}>
                  Open
                </button>
              )}
            </li>
          ))}
        </ul>
      </section>
      <CreateProfile onCreated={props.onCreated} />
    </div>
  );
}
