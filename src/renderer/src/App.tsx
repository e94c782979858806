// The shell of the UI: which screen is showing. Three states: the profile list (create / unlock),
// the one-time recovery key after a profile is created, and an unlocked profile (the routed pages).
import { useQueryClient } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { useEffect, useMemo, useState } from 'react';
import type { ProfileSummary } from '../../shared/models';
import { ProfileContext } from './app/profile';
import { usePushInvalidation } from './app/query';
import { createAppRouter } from './app/router';
import { subscribe } from './client';
import { ProfilesScreen } from './profiles/ProfilesScreen';
import { RecoveryKeyNotice } from './profiles/RecoveryKeyNotice';

type View =
  | { kind: 'profiles' }
  | { kind: 'recovery'; profile: ProfileSummary; recoveryKey: string }
  | { kind: 'profile'; profile: ProfileSummary };

export function App() {
  const queryClient = useQueryClient();
  usePushInvalidation(queryClient);
  const [view, setView] = useState<View>({ kind: 'profiles' });
  const openProfileId = view.kind === 'profile' ? view.profile.id : null;

  // If the open profile is locked from elsewhere (the CLI, another window), leave it.
  useEffect(() => {
    if (!openProfileId) return;
    return subscribe('profiles.changed', ({ profileId, locked }) => {
      if (locked && profileId === openProfileId) setView({ kind: 'profiles' });
    });
  }, [openProfileId]);

  // A fresh router (and so a fresh history) per opened profile.
  const router = useMemo(() => (openProfileId ? createAppRouter() : null), [openProfileId]);
  const open = useMemo(
    () =>
      view.kind === 'profile'
        ? {
            profile: view.profile,
            close: () => {
              queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== 'profiles.list' });
              setView({ kind: 'profiles' });
            },
          }
        : null,
    [view, queryClient],
  );

  if (view.kind === 'recovery')
    return (
      <RecoveryKeyNotice
        profileName={view.profile.name}
        recoveryKey={view.recoveryKey}
        onDone={() => setView({ kind: 'profile', profile: view.profile })}
      />
    );
  if (open && router)
    return (
      <ProfileContext.Provider value={open}>
        <RouterProvider router={router} />
      </ProfileContext.Provider>
    );
  return (
    <ProfilesScreen
      onOpen={(profile) => setView({ kind: 'profile', profile })}
      onCreated={(profile, recoveryKey) => setView({ kind: 'recovery', profile, recoveryKey })}
    />
  );
}
