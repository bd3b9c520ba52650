// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/transcripts/**', 'bench/.build/**', 'bench/.profiles/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The CLI entry and the fake agents talk to a terminal on purpose.
    files: ['src/cli.ts', 'src/cli/**/*.ts', 'test/fixtures/agents/**', 'scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The dashboard is plain browser JavaScript served as it is (no bundler).
    files: ['src/server/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['document', 'location', 'history', 'fetch', 'WebSocket', 'Node', 'Option', 'requestAnimationFrame', 'setTimeout', 'setInterval', 'clearTimeout', 'URLSearchParams', 'HTMLInputElement', 'ELK'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    // Plain-JS scripts (fake agents, build helpers) run on Node.
    files: ['**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
);
