/**
 * temporal-dev.yml, read as docker compose would read it (no Docker engine runs here): the
 * services, their ports, pinned image tags, health checks, the volume the dev server persists
 * to, the search attributes, and the environment the worker and gateway get.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadGatewayConfig } from '../../client/gateway/config';
import { parseRegistryText } from '../../domain/registry';
import { CELLOPS_SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { loadWorkerConfig } from '../../workers/config';

const ROOT = path.resolve(__dirname, '../..');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(path.join(ROOT, 'temporal-dev.yml'), 'utf8'), { merge: true }) as Compose;
const { temporal, aws, worker, gateway } = compose.services;
const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** The value following `flag` in a command, every time it appears. */
const flagValues = (command: string[] | undefined, flag: string): string[] => (command ?? []).flatMap((arg, i) => (arg === flag && command?.[i + 1] !== undefined ? [command[i + 1]] : []));
const publishedPorts = (service: Service): string[] => service.ports ?? [];
const semver = (tag: string): number[] => tag.split('.').map(Number);

describe('temporal-dev.yml', () => {
  test('has the Temporal dev server, the AWS emulator, the worker and the gateway', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['aws', 'gateway', 'temporal', 'worker']);
  });

  test('every image is pinned to a version, never latest', () => {
    const images = Object.values(compose.services).flatMap((s) => (s.image ? [s.image] : []));
    expect(images).toHaveLength(2);
    for (const image of images) expect(image).toMatch(/^[a-z0-9/-]+:\d+\.\d+\.\d+$/);
  });

  test('Temporal: `temporal server start-dev` on every interface, gRPC 7233 and Web UI 8233 published, persisted to a named volume', () => {
    expect(temporal.image).toMatch(/^temporalio\/temporal:/);
    expect(temporal.command?.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(flagValues(temporal.command, '--ip')).toEqual(['0.0.0.0']);
    expect(flagValues(temporal.command, '--port')).toEqual(['7233']);
    expect(flagValues(temporal.command, '--ui-port')).toEqual(['8233']);
    expect(publishedPorts(temporal)).toEqual(expect.arrayContaining(['7233:7233', '8233:8233']));
    const [dbFile] = flagValues(temporal.command, '--db-filename');
    const mount = (temporal.volumes ?? []).map((v) => v.split(':')).find(([, target]) => dbFile?.startsWith(`${target}/`));
    expect(mount).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(mount?.[0]);
  });

  test('Temporal registers exactly the search attributes the procedures set', () => {
    const registered: Record<string, string> = Object.fromEntries(flagValues(temporal.command, '--search-attribute').map((sa) => sa.split('=') as [string, string]));
    expect(registered).toEqual(CELLOPS_SEARCH_ATTRIBUTES);
  });

  test('the AWS emulator is moto 5.1.19 or later, needing no account token, on port 5000', () => {
    const [repository, tag] = (aws.image ?? '').split(':');
    expect(repository).toBe('motoserver/moto');
    const [major, minor, patch] = semver(tag);
    expect(major * 1_000_000 + minor * 1_000 + patch).toBeGreaterThanOrEqual(5_001_019);
    expect(publishedPorts(aws)).toContain('5000:5000');
    expect(JSON.stringify(aws.environment ?? {})).not.toMatch(/TOKEN|LOCALSTACK/);
  });

  test('Temporal, the emulator and the gateway have health checks; the worker and gateway wait for healthy dependencies', () => {
    expect(temporal.healthcheck?.test).toEqual(['CMD', 'temporal', 'operator', 'cluster', 'health', '--address', '127.0.0.1:7233']);
    expect(aws.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:5000/');
    expect(gateway.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8080/readyz');
    expect(worker.depends_on).toEqual({ temporal: { condition: 'service_healthy' }, aws: { condition: 'service_healthy' } });
    expect(gateway.depends_on?.temporal).toEqual({ condition: 'service_healthy' });
  });

  test('the worker and gateway are built from this repository and run its npm scripts', () => {
    expect(existsSync(path.join(ROOT, 'Dockerfile'))).toBe(true);
    expect(worker.build).toBe('.');
    expect(gateway.build).toBe('.');
    expect(worker.command).toEqual(['npm', 'run', 'worker']);
    expect(gateway.command).toEqual(['npm', 'run', 'gateway']);
    expect(packageJson.scripts.worker).toBe('tsx workers/main.ts');
    expect(packageJson.scripts.gateway).toBe('tsx client/gateway/main.ts');
    expect(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^FROM node:20\.\d+\.\d+-bookworm-slim$/m);
  });

  test('the worker gets Temporal and the emulator: its configuration reads as Temporal at temporal:7233 and real AWS clients on the emulator', () => {
    const env = worker.environment ?? {};
    expect(env).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233', AWS_ENDPOINT_URL: 'http://aws:5000', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
    const config = loadWorkerConfig(env, '/app');
    expect(config.temporal).toMatchObject({ kind: 'configured', namespace: 'default', connectionOptions: { address: 'temporal:7233' } });
    expect(config.aws).toBe('aws');
    expect(config.hooks).toEqual({ kind: 'none' });
    // The registry it names is the repository's example, whose region the emulator is asked for.
    expect(env.CELLOPS_REGISTRY).toBe('/app/cells.example.yaml');
    const registry = parseRegistryText(readFileSync(path.join(ROOT, 'cells.example.yaml'), 'utf8'));
    expect(env.AWS_REGION).toBe(registry.fleet.region);
  });

  test('the gateway gets the same connection, listens on every interface, and links to the Web UI', () => {
    const env = gateway.environment ?? {};
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'CELLOPS_REGISTRY', 'AWS_ENDPOINT_URL', 'AWS_REGION']) expect(env[name]).toBe(worker.environment?.[name]);
    expect(loadGatewayConfig(env)).toMatchObject({ port: 8080, host: '0.0.0.0', webUiBaseUrl: 'http://localhost:8233' });
    expect(publishedPorts(gateway)).toContain('8080:8080');
  });
});
