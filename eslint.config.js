// @ts-check
/**
 * Lint (part of `npm test`): typescript-eslint with type information (projectService reads
 * tsconfig.json), over every TypeScript folder the build compiles.
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Generated code is not ours to fix; the fixtures break rules on purpose (lint:
  // test/tools/lint.test.ts; types: test/shared/typed-handlers.test.ts).
  { ignores: ['dist/**', 'node_modules/**', 'shared/generated/**', 'test/fixtures/lint/**', 'test/fixtures/typecheck/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  {
    files: ['{services,shared,tools,bench,test,examples}/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The two the code must never break: a promise nobody awaits or catches (an unhandled
      // rejection ends the process), and a promise where a plain value is expected (a
      // conditional on a promise, an async callback an emitter never awaits).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Handlers are `async` without awaiting on purpose: whatever they throw becomes a rejected
      // promise, which the gRPC server maps to a status.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks a value that is there on purpose (a rest sibling left out, a callback
      // parameter that must be declared).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
