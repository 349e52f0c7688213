/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'], '/node_modules/cookie/.+\\.js$': ['@swc/jest'] },
  // Fastify's inject() loads `cookie`, which is published as an ES module only: compile it like our own code.
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
  testTimeout: 60_000,
  // Workflow tests start a dev server and a worker each; two cores do not gain from more.
  maxWorkers: 2,
};
