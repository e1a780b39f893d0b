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
  {
    // The code that runs per call. In Node 20 an object literal with a getter or setter made per
    // call keeps what it reaches alive through the next scavenges: in a loop, such literals
    // left 5.8 MB per scavenge where class instances left none, and a literal CallContext kept
    // every run of GrpcServer near 2 MB (docs/benchmarks.md, results of 2026-12-06). A class
    // with prototype getters does not. (Tests and their helpers may.)
    files: ['{services,shared,tools,bench,examples}/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ObjectExpression > Property[kind='get'], ObjectExpression > Property[kind='set']",
          message: 'No getters or setters in object literals: made per call they keep garbage alive through scavenges (docs/benchmarks.md, 2026-12-06). Use a class with prototype accessors.',
        },
        {
          // The same accessor, defined on an object after it is made.
          selector: "CallExpression[callee.object.name='Object'][callee.property.name=/^define(Property|Properties)$/] Property[key.name=/^(get|set)$/]",
          message: 'No accessors defined with Object.defineProperty: made per call they keep garbage alive through scavenges (docs/benchmarks.md, 2026-12-06). Use a class with prototype accessors.',
        },
      ],
    },
  },
);
