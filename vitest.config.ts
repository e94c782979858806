import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          // Native modules (SQLite) are safest in child processes rather than worker threads.
          pool: 'forks',
        },
      },
      {
        // Renderer components and hooks in a simulated DOM (Testing Library); no native modules here.
        extends: true,
        plugins: [react()],
        test: {
          name: 'jsdom',
          include: ['src/renderer/**/*.test.tsx'],
          environment: 'jsdom',
          setupFiles: ['src/renderer/test/setup.ts'],
        },
      },
    ],
  },
});
