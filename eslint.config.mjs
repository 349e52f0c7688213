import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = [
  'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net',
  'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm',
  'worker_threads', 'zlib',
];

// cellops reaches the dev server package (devserver/) only through its public entry points:
// `@cellops/temporal-dev` (start a server in process), `@cellops/temporal-dev/testing` and the executable.
const devServerInternals = [
  {
    group: ['**/devserver', '**/devserver/*', '@cellops/temporal-dev/*', '!@cellops/temporal-dev/testing'],
    message: 'Import the dev server through @cellops/temporal-dev or @cellops/temporal-dev/testing.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'lib/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['@temporalio/*/src/*'] }, ...devServerInternals] }],
    },
  },
  {
    // The dev server package itself: its own modules are its to import.
    files: ['devserver/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: ['@temporalio/*/src/*'] }],
    },
  },
  {
    // The workflow sandbox: no Node, AWS, activity, client or worker code may reach it.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((name) => [name, `node:${name}`]),
          '@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing',
        ].map((name) => ({ name, message: 'Workflow code runs in the deterministic sandbox.' })),
        patterns: [
          { group: ['@aws-sdk/*'], message: 'Workflows reach AWS only through activities.' },
          { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'Import activity types only.' },
        ],
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'devserver/test/**/*.ts', 'devserver/testing/**/*.ts', 'devserver/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
