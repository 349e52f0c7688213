/**
 * `npm test` runs both packages' tests: cellops' (test/) and the dev server's
 * (devserver/test, configured in devserver/jest.config.js).
 * @type {import('jest').Config}
 */
module.exports = {
  projects: [
    {
      displayName: 'cellops',
      rootDir: __dirname,
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      transform: { '^.+\\.ts$': ['@swc/jest'], '/node_modules/cookie/.+\\.js$': ['@swc/jest'] },
      // Fastify's inject() loads `cookie`, which is published as an ES module only: compile it like our own code.
      transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
      // The dev server package from this checkout's sources (as tsconfig.json's `paths` do), whichever
      // node_modules the workspace link is in.
      moduleNameMapper: {
        '^@cellops/temporal-dev$': '<rootDir>/devserver/index.ts',
        '^@cellops/temporal-dev/testing$': '<rootDir>/devserver/testing/index.ts',
      },
      // A guard against a hang, not a performance bound. Files that are slow by nature (crash and
      // restart tests, long replays, set-up that starts a server and bundles workflows) set their own
      // limit (jest.setTimeout or a per-test/hook timeout) rather than raising this one for all.
      testTimeout: 60_000,
    },
    '<rootDir>/devserver',
  ],
  testTimeout: 60_000,
  // Workflow tests start a dev server and a worker each; two cores do not gain from more, and
  // more would make every server start and workflow task slower (see npm run test:stress).
  maxWorkers: 2,
};
