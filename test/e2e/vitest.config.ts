// The browser suite (npm run test:e2e): kept out of `npm test` because it needs Chromium. One file at a
// time, in child processes, with room for a browser start and two server starts per test.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: `${import.meta.dirname}/../..`,
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
