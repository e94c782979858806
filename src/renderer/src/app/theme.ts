// A calm theme: one accent, system font, moderate radius. Shades are chosen for contrast: white text
// on the primary color, dimmed text and the tinted ("light") badges and buttons all meet WCAG AA
// (4.5:1) in the light scheme, checked by axe-core in the browser suite.
import { createTheme, DEFAULT_THEME, Modal, type CSSVariablesResolver } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 8, dark: 8 },
  // No sliding indicators or fading modals for people who ask the system for less motion.
  respectReducedMotion: true,
  defaultRadius: 'md',
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  components: {
    // The icon-only close button of every dialog gets a name screen readers can say.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});

const COLORS = Object.keys(DEFAULT_THEME.colors);

/**
 * Contrast fixes over Mantine's defaults, per scheme: light tints one step paler and colored text
 * (c="red", errors, diffs) in the darkest shade; in the dark scheme colored text in a light shade and
 * dimmed text lighter. Each pair was measured by axe-core in the browser suite.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-placeholder': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    ...Object.fromEntries(
      COLORS.flatMap((color) => [
        [`--mantine-color-${color}-light`, `var(--mantine-color-${color}-0)`],
        [`--mantine-color-${color}-light-hover`, `var(--mantine-color-${color}-1)`],
        [`--mantine-color-${color}-text`, `var(--mantine-color-${color}-9)`],
      ]),
    ),
  },
  dark: {
    '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
    '--mantine-color-placeholder': 'var(--mantine-color-dark-1)',
    '--mantine-color-error': 'var(--mantine-color-red-4)',
    ...Object.fromEntries(COLORS.map((color) => [`--mantine-color-${color}-text`, `var(--mantine-color-${color}-4)`])),
  },
});
