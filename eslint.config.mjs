// ESLint over the TypeScript in src/, bench/, test/ and examples/ (`npm run lint`, which `npm test` runs): ESLint's and
// typescript-eslint's recommended rules, not the type-checked ones (tsc checks the types, and lint stays fast).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'test/fixtures/', '.cover/', 'runs/'] },
  {
    files: ['src/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    // An eslint-disable comment that no longer suppresses anything is an error, so none outlives its reason.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `const { weights: _w, ...rest } = x` drops a key on purpose, and `(_, i) =>` skips a parameter: both say so by name.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // `import os = require('os')` takes the module object itself (so a test can replace os.cpus). A bare require()
      // stays forbidden; the few that must stay (lazy loads of optional modules) say why with an eslint-disable comment.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
);
