import { assertHooksBackend, loadWorkerConfig } from '../../workers/config';

describe('loadWorkerConfig', () => {
  test('nothing configured: the embedded dev server on 7233, the simulator with its hooks, the example registry', () => {
    const config = loadWorkerConfig({}, '/nonexistent');
    expect(config).toMatchObject({ temporal: { kind: 'embedded', port: 7233, namespace: 'default' }, aws: 'simulator', hooks: { kind: 'simulator' } });
    expect(config.registryPath).toMatch(/cells\.example\.yaml$/);
  });

  test('TEMPORAL_ADDRESS means a real server (through envconfig); AWS credentials mean real AWS, and then no simulated hooks', () => {
    const config = loadWorkerConfig({
      TEMPORAL_ADDRESS: 'temporal.example.com:7233',
      TEMPORAL_NAMESPACE: 'prod',
      AWS_PROFILE: 'ops',
      CELLOPS_REGISTRY: '/etc/cellops/cells.yaml',
      CELLOPS_HOOKS: 'none',
    });
    expect(config.temporal).toMatchObject({ kind: 'configured', namespace: 'prod', connectionOptions: { address: 'temporal.example.com:7233' } });
    expect(config).toMatchObject({ aws: 'aws', hooks: { kind: 'none' }, registryPath: '/etc/cellops/cells.yaml' });
  });

  test('real AWS without a hooks backend is refused at start, naming the three ways to give one', () => {
    const refused = () => assertHooksBackend(loadWorkerConfig({ AWS_PROFILE: 'ops' }));
    expect(refused).toThrow(/CELLOPS_AWS=aws needs a hooks backend/);
    expect(refused).toThrow(/CELLOPS_HOOKS_URL=/);
    expect(refused).toThrow(/CELLOPS_HOOKS=notify-only/);
    expect(refused).toThrow(/CELLOPS_HOOKS=none/);
    expect(() => assertHooksBackend(loadWorkerConfig({ CELLOPS_AWS: 'aws' }))).toThrow(/needs a hooks backend/);
    // The CLI and the gateway read the same configuration but run no hooks: for them it is no error.
    expect(loadWorkerConfig({ AWS_PROFILE: 'ops' })).toMatchObject({ aws: 'aws', hooks: { kind: 'none' } });
    expect(() => assertHooksBackend(loadWorkerConfig({ CELLOPS_AWS: 'aws', CELLOPS_HOOKS: 'none' }))).not.toThrow();
  });

  test('notify-only and none are chosen explicitly; a webhook URL is a backend too', () => {
    expect(loadWorkerConfig({ CELLOPS_AWS: 'aws', CELLOPS_HOOKS: 'notify-only' }).hooks).toEqual({ kind: 'notify-only' });
    expect(loadWorkerConfig({ CELLOPS_AWS: 'aws', CELLOPS_HOOKS: 'none' }).hooks).toEqual({ kind: 'none' });
    expect(loadWorkerConfig({ CELLOPS_AWS: 'aws', CELLOPS_HOOKS_URL: 'https://app.example.com/hooks' }).hooks).toMatchObject({ kind: 'webhook' });
  });

  test('bad values fail at start, naming the variable', () => {
    expect(() => loadWorkerConfig({ CELLOPS_AWS: 'azure' })).toThrow('CELLOPS_AWS must be one of aws, simulator, got "azure"');
    expect(() => loadWorkerConfig({ CELLOPS_DEV_SERVER_PORT: 'x' })).toThrow(/CELLOPS_DEV_SERVER_PORT must be a port number/);
    expect(() => loadWorkerConfig({ CELLOPS_HOOKS: 'webhook' })).toThrow('CELLOPS_HOOKS=webhook needs CELLOPS_HOOKS_URL');
    expect(() => loadWorkerConfig({ CELLOPS_AWS: 'aws', CELLOPS_HOOKS: 'simulator' })).toThrow(/needs the simulated fleet/);
  });

  test('a webhook URL selects the webhook hooks', () => {
    expect(loadWorkerConfig({ CELLOPS_HOOKS_URL: 'https://app.example.com/hooks', CELLOPS_HOOKS_TOKEN: 's3cret' }).hooks).toEqual({ kind: 'webhook', baseUrl: 'https://app.example.com/hooks', authToken: 's3cret' });
  });
});
