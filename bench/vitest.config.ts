// `npm run bench`: the benchmarks run through vitest because the code under test uses extensionless
// TypeScript imports that Node's own type stripping cannot resolve. `npm test` never picks these files
// up (its include is src/**/*.test.ts and test/**/*.test.ts). Output goes straight to the terminal.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['bench/**/*.bench.ts'],
    pool: 'forks',
    // One benchmark at a time: parallel files would compete for the same disk and CPU.
    fileParallelism: false,
    testTimeout: 180_000,
    disableConsoleIntercept: true,
  },
});
