/** The Temporal server every workflow test runs against: the dev server package's test helpers. */
export {
  createLocalTestEnvironment,
  createTimeSkippingTestEnvironment,
  DEV_SERVER_EXECUTABLE,
  testServerKind,
  timeSkippingServerExecutable,
  type LocalTestEnvironmentOptions,
  type TestServerKind,
} from '@cellops/temporal-dev/testing';
