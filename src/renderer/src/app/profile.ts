// The unlocked profile every page works on, provided by App while a profile is open.
import { createContext, useContext } from 'react';
import type { ProfileSummary } from '../../../shared/models';

export interface OpenProfile {
  profile: ProfileSummary;
  /** Back to the profile list (the vault stays unlocked). */
  close: () => void;
}

export const ProfileContext = createContext<OpenProfile | null>(null);

export function useOpenProfile(): OpenProfile {
  const open = useContext(ProfileContext);
  if (!open) throw new Error('useOpenProfile outside an open profile');
  return open;
}

export function useProfileId(): string {
  return useOpenProfile().profile.id;
}
