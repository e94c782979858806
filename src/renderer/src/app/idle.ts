// How long the open profile may sit untouched before it locks itself. A preference of this window
// (like the theme), not of the vault: it is kept in localStorage. 0 means never.
import { useLocalStorage } from '@mantine/hooks';

export const IDLE_LOCK_CHOICES = [5, 15, 30, 60, 0] as const;
export const DEFAULT_IDLE_LOCK_MINUTES = 15;

export function useIdleLockMinutes() {
  return useLocalStorage<number>({
    key: 'angel-memory.idle-lock-minutes',
    defaultValue: DEFAULT_IDLE_LOCK_MINUTES,
    getInitialValueInEffect: false,
  });
}
