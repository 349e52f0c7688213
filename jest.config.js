/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'], '/node_modules/cookie/.+\\.js$': ['@swc/jest'] },
  // Fastify's inject() loads `cookie`, which is published as an ES module only: compile it like our own code.
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  // A guard against a hang, not a performance bound. Files that are slow by nature (crash and
  // restart tests, long replays, set-up that starts a server and bundles workflows) set their own
  // limit (jest.setTimeout or a per-test/hook timeout) rather than raising this one for all.
  testTimeout: 60_000,
  // Workflow tests start a dev server and a worker each; two cores do not gain from more, and
  // more would make every server start and workflow task slower (see npm run test:stress).
  maxWorkers: 2,
};
