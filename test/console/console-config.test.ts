/** The console's settings from the environment: defaults, every variable, and clear errors. */
import { loadConsoleConfig } from '../../client/console/config';

describe('console configuration', () => {
  test('defaults: on, reading open to loopback clients, no proxy, no token', () => {
    expect(loadConsoleConfig({})).toEqual({ enabled: true, access: { openRead: 'loopback', trustedProxies: [], tokens: {}, allowedOrigins: [] } });
  });

  test('every variable', () => {
    const config = loadConsoleConfig({
      CELLOPS_CONSOLE: 'on',
      CELLOPS_CONSOLE_OPEN_READ: 'nobody',
      CELLOPS_CONSOLE_TRUSTED_PROXIES: '10.0.0.5, 10.0.0.6',
      CELLOPS_CONSOLE_IDENTITY_HEADERS: 'X-Auth-Request-Email',
      CELLOPS_CONSOLE_TOKENS: 'ci-bot=0123456789abcdef0123, bob@example.com=fedcba9876543210fedc',
      CELLOPS_CONSOLE_ALLOWED_ORIGINS: 'https://cellops.example.com',
      CELLOPS_CONSOLE_CSRF_SECRET: 'a-shared-secret-of-32-characters',
    });
    expect(config).toEqual({
      enabled: true,
      access: {
        openRead: 'nobody',
        trustedProxies: ['10.0.0.5', '10.0.0.6'],
        identityHeaders: ['X-Auth-Request-Email'],
        tokens: { '0123456789abcdef0123': 'ci-bot', fedcba9876543210fedc: 'bob@example.com' },
        allowedOrigins: ['https://cellops.example.com'],
        csrfSecret: 'a-shared-secret-of-32-characters',
      },
    });
    expect(loadConsoleConfig({ CELLOPS_CONSOLE: 'off' }).enabled).toBe(false);
  });

  test.each([
    [{ CELLOPS_CONSOLE: 'yes' }, 'CELLOPS_CONSOLE must be on or off'],
    [{ CELLOPS_CONSOLE_OPEN_READ: 'everyone' }, 'CELLOPS_CONSOLE_OPEN_READ must be loopback, anyone or nobody'],
    [{ CELLOPS_CONSOLE_TOKENS: 'bob=short' }, 'each token at least 16 characters'],
    [{ CELLOPS_CONSOLE_TOKENS: '0123456789abcdef0123' }, 'must be identity=token pairs'],
    [{ CELLOPS_CONSOLE_TOKENS: 'a=0123456789abcdef0123,b=0123456789abcdef0123' }, 'one token to two identities'],
    [{ CELLOPS_CONSOLE_ALLOWED_ORIGINS: 'https://cellops.example.com/console' }, 'is not an origin'],
    [{ CELLOPS_CONSOLE_CSRF_SECRET: 'short' }, 'CELLOPS_CONSOLE_CSRF_SECRET must be at least 16 characters'],
  ])('%j is refused: %s', (env, message) => {
    expect(() => loadConsoleConfig(env)).toThrow(message);
  });
});
