// Three builds: main (Electron main process plus the CLI entry, both Node), preload (sandboxed, so
// CommonJS with every dependency bundled) and the React renderer.
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/app/index.ts'),
          cli: resolve(import.meta.dirname, 'src/main/cli/index.ts'),
          // The archive import worker thread (src/main/archive/pool.ts finds it beside the entries).
          'archive-worker': resolve(import.meta.dirname, 'src/main/archive/worker.ts'),
          // The search worker thread (src/main/search/ranker.ts finds it the same way).
          'search-worker': resolve(import.meta.dirname, 'src/main/search/worker.ts'),
          // The WAL checkpoint thread (src/main/db/checkpointer.ts).
          'checkpoint-worker': resolve(import.meta.dirname, 'src/main/db/checkpoint-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    build: {
      minify: true,
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
    plugins: [react()],
  },
});
