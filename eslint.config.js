// Type-aware lint plus the process-boundary rules of STYLE.md principle 9:
//   - src/shared imports neither electron nor node:* (it runs in both processes);
//   - only src/main/app and src/preload import electron;
//   - the renderer never imports from src/main.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const electronBan = { name: 'electron', message: 'Only src/main/app and src/preload may import electron.' };
const nodeBan = { group: ['node:*'], message: 'src/shared runs in every process: no Node built-ins.' };
const mainBan = {
  group: ['**/main/**', '**/main'],
  message: 'The renderer talks to main only through the IPC contract.',
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.tools/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [electronBan] }],
    },
  },
  {
    files: ['src/main/app/**', 'src/preload/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/shared/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronBan], patterns: [nodeBan] }] },
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: { 'no-restricted-imports': ['error', { paths: [electronBan], patterns: [mainBan, nodeBan] }] },
  },
  {
    files: ['**/*.js', 'bin/angel-memory'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
