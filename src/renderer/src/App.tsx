// The shell of the UI: which screen is showing. Three states: the profile list (create / unlock),
// the one-time recovery key after a profile is created, and an unlocked profile's home.
import { useEffect, useState } from 'react';
import type { ProfileSummary } from '../../shared/models';
import { subscribe } from './client';
import { ProfileHome } from './memory/ProfileHome';
import { ProfilesScreen } from './profiles/ProfilesScreen';
import { RecoveryKeyNotice } from './profiles/RecoveryKeyNotice';

type View =
  | { kind: 'profiles' }
  | { kind: 'recovery'; profile: ProfileSummary; recoveryKey: string }
  | { kind: 'profile'; profile: ProfileSummary };

export function App() {
  const [view, setView] = useState<View>({ kind: 'profiles' });
  const openProfileId = view.kind === 'profile' ? view.profile.id : null;

  // If the open profile is locked from elsewhere (another window, a future tray menu), leave it.
  useEffect(() => {
    if (!openProfileId) return;
    return subscribe('profiles.changed', ({ profileId, locked }) => {
      if (locked && profileId === openProfileId) setView({ kind: 'profiles' });
    });
  }, [openProfileId]);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Angel Memory</h1>
        <span className="muted">Local, encrypted memories from your OMI</span>
      </header>
      <main>
        {view.kind === 'profiles' && (
          <ProfilesScreen
            onOpen={(profile) => setView({ kind: 'profile', profile })}
            onCreated={(profile, recoveryKey) => setView({ kind: 'recovery', profile, recoveryKey })}
          />
        )}
        {view.kind === 'recovery' && (
          <RecoveryKeyNotice
            profileName={view.profile.name}
            recoveryKey={view.recoveryKey}
            onDone={() => setView({ kind: 'profile', profile: view.profile })}
          />
        )}
        {view.kind === 'profile' && (
          <ProfileHome profile={view.profile} onClose={() => setView({ kind: 'profiles' })} />
        )}
      </main>
    </div>
  );
}
