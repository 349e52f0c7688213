/**
 * The dev server's tests; a project of the repository's jest.config.js (`npm test` at the root) or
 * run alone with `npm test` here.
 * @type {import('jest').Config}
 */
module.exports = {
  displayName: 'temporal-dev',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // A guard against a hang, not a performance bound; slow files set their own limit.
  testTimeout: 60_000,
};
