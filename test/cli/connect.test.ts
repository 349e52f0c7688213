/** One way to find Temporal for every entry point: envconfig when configured, else the local dev server. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CannotConnectError, connectTemporal, temporalTargetFromEnv } from '../../client/connect';

describe('temporalTargetFromEnv', () => {
  test('nothing configured: the local dev server, its port from CELLOPS_DEV_SERVER_PORT', () => {
    expect(temporalTargetFromEnv({})).toMatchObject({ kind: 'embedded', address: '127.0.0.1:7233', namespace: 'default' });
    expect(temporalTargetFromEnv({ CELLOPS_DEV_SERVER_PORT: '7999', TEMPORAL_NAMESPACE: 'drills' })).toMatchObject({ kind: 'embedded', address: '127.0.0.1:7999', namespace: 'drills' });
    expect(() => temporalTargetFromEnv({ CELLOPS_DEV_SERVER_PORT: 'x' })).toThrow('CELLOPS_DEV_SERVER_PORT must be a port number, got "x"');
  });

  test('TEMPORAL_ADDRESS with namespace and API key: TLS on, as envconfig does', () => {
    const target = temporalTargetFromEnv({ TEMPORAL_ADDRESS: 'ns.a1b2.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.a1b2', TEMPORAL_API_KEY: 'key' });
    expect(target).toMatchObject({ kind: 'configured', address: 'ns.a1b2.tmprl.cloud:7233', namespace: 'ns.a1b2', source: 'TEMPORAL_ADDRESS', connectionOptions: { apiKey: 'key', tls: true } });
  });

  test('a profile from TEMPORAL_CONFIG_FILE; a profile without an address is an error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cellops-envconfig-'));
    const file = path.join(dir, 'temporal.toml');
    writeFileSync(file, '[profile.prod]\naddress = "temporal.prod.example.com:7233"\nnamespace = "ops"\n\n[profile.empty]\nnamespace = "x"\n');
    expect(temporalTargetFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })).toMatchObject({ kind: 'configured', address: 'temporal.prod.example.com:7233', namespace: 'ops', source: `envconfig profile prod (${file})` });
    expect(temporalTargetFromEnv({ TEMPORAL_CONFIG_FILE: file }, 'prod')).toMatchObject({ address: 'temporal.prod.example.com:7233' });
    expect(() => temporalTargetFromEnv({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'empty' })).toThrow(`the Temporal profile empty in ${file} has no address`);
  });
});

describe('connectTemporal', () => {
  test('nothing listening: CannotConnectError naming the address, the namespace and where they came from', async () => {
    // A port that was free a moment ago.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const target = temporalTargetFromEnv({ CELLOPS_DEV_SERVER_PORT: String(port) });
    const connecting = connectTemporal({ target, connectTimeoutMs: 1_000 });
    await expect(connecting).rejects.toThrow(CannotConnectError);
    await expect(connecting).rejects.toThrow(`cannot connect to Temporal at 127.0.0.1:${port} (namespace default; chosen by: nothing configured, so the local dev server)`);
  });
});
