// @ts-check
// ESLint 9 flat config: typescript-eslint's type-aware recommended rules, a few more that catch
// real bugs, and eslint-config-prettier last so that no rule fights Prettier's formatting.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', '.cache/', 'results/']),
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      // The type information comes from tsconfig.json (src, bench, test, vitest.config.ts).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Promises: a promise nobody awaits loses its rejection; one passed where a callback's return
      // value is ignored (an event handler, a forEach) does too. Both are in the preset; kept explicit.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `return promise` inside try/catch skips the catch and the finally's ordering: await it there.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A switch over a union that misses a member (a new fault kind, mode or rule kind).
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A leading underscore marks a deliberately unused name (`const { a: _a, ...rest } = o`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // A function longer than a page hides its steps: split it into named ones (issue 22).
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Test doubles and benches implement async interfaces (kafkajs handlers, clients, sleep) with
    // bodies that need no await: `async` there is the interface's, not a mistake.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // The page callbacks of this browser test run in Chromium and use DOM types, which the
    // project's lib (ES2023, no DOM) leaves unresolved: the no-unsafe-* rules see them as `any`.
    files: ['test/integration/report-html.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // Plain JavaScript (this file, scripts/services/probe.mjs) is outside tsconfig.json: no type-aware rules.
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], extends: [tseslint.configs.disableTypeChecked] },
  // Last: turns off every rule that Prettier owns.
  prettier,
);
