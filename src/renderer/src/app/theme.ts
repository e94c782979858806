// A calm theme: one accent, system font, moderate radius.
import { createTheme } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  // No sliding indicators or fading modals for people who ask the system for less motion.
  respectReducedMotion: true,
  defaultRadius: 'md',
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
});
