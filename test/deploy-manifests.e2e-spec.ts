import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { loadEnvironment } from '../src/shared/config/environment';

type Model = new (data: unknown) => { validate(): void };
const MODELS: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'autoscaling/v2': autoscaling,
  'batch/v1': batch,
  'networking.k8s.io/v1': networking,
  'policy/v1': policy,
};

const ROOT = resolve(__dirname, '..');
const K8S = join(ROOT, 'deploy/k8s');
const HEALTH_ROUTES = new Set(['/health/live', '/health/ready']);

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};

function yamlFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? yamlFiles(join(directory, entry.name)) : entry.name.endsWith('.yaml') ? [join(directory, entry.name)] : [],
  );
}

function parse(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
    expect(document.errors, file).toEqual([]);
    return document.toJS() as Manifest;
  });
}

/** The kubernetes-models class for an object, e.g. apps/v1 Deployment. */
function modelFor({ apiVersion, kind }: Manifest): Model | undefined {
  return MODELS[apiVersion]?.[kind] as Model | undefined;
}

const files = yamlFiles(K8S);
const manifests = files.filter((file) => !file.endsWith('kustomization.yaml')).map((file) => ({ file, objects: parse(file) }));
const base = manifests.filter(({ file }) => file.includes('/base/')).flatMap(({ objects }) => objects);
const byKind = (kind: string) => base.filter((object) => object.kind === kind);
const configMap = byKind('ConfigMap')[0];

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('finds the base and the production overlay', () => {
    expect(files.some((file) => file.endsWith('base/kustomization.yaml'))).toBe(true);
    expect(files.some((file) => file.endsWith('overlays/production/kustomization.yaml'))).toBe(true);
  });

  it.each(manifests.filter(({ file }) => file.includes('/base/')).map(({ file }) => [file.slice(K8S.length + 1), file]))(
    '%s validates against the Kubernetes schema',
    (_name, file) => {
      for (const object of parse(file)) {
        const Model = modelFor(object);
        expect(Model, `${object.apiVersion} ${object.kind}`).toBeDefined();
        expect(() => new Model!(object).validate()).not.toThrow();
      }
    },
  );

  it('lists in each kustomization only files that exist, and patches only objects of the base', () => {
    for (const file of files.filter((candidate) => candidate.endsWith('kustomization.yaml'))) {
      const kustomization = parse(file)[0] as unknown as { resources?: string[]; patches?: { path: string }[] };
      for (const entry of [...(kustomization.resources ?? []), ...(kustomization.patches ?? []).map((patch) => patch.path)]) {
        expect(existsSync(join(dirname(file), entry)), `${file}: ${entry}`).toBe(true);
      }
      for (const patch of kustomization.patches ?? []) {
        const [target] = parse(join(dirname(file), patch.path));
        expect(
          base.some((object) => object.kind === target.kind && object.metadata.name === target.metadata.name),
          patch.path,
        ).toBe(true);
      }
    }
  });

  it('points every probe at a real health route on a port the container exposes', () => {
    const expectedPorts: Record<string, number> = {
      'orderly-api': Number(configMap.data!.PORT),
      'orderly-worker': Number(configMap.data!.WORKER_PORT),
    };
    for (const deployment of byKind('Deployment')) {
      for (const container of deployment.spec.template.spec.containers) {
        const ports = new Map<string | number, number>(
          container.ports.map((port: { name: string; containerPort: number }) => [port.name, port.containerPort]),
        );
        expect([...ports.values()]).toContain(expectedPorts[deployment.metadata.name]);
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const check = container[probe]?.httpGet;
          expect(check, `${deployment.metadata.name} ${probe}`).toBeDefined();
          expect(HEALTH_ROUTES.has(check.path)).toBe(true);
          expect(ports.get(check.port) ?? check.port).toBe(expectedPorts[deployment.metadata.name]);
        }
        expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
        expect(container.livenessProbe.httpGet.path).toBe('/health/live');
        expect(container.resources.requests).toBeDefined();
        expect(container.resources.limits).toBeDefined();
      }
    }
  });

  it('gives pods more time to stop than the drain and the job grace period', () => {
    const drainSeconds = Number(configMap.data!.SHUTDOWN_DRAIN_MS) / 1000;
    const workerGraceSeconds = Number(configMap.data!.WORKER_SHUTDOWN_GRACE_MS) / 1000;
    const api = byKind('Deployment').find((deployment) => deployment.metadata.name === 'orderly-api')!;
    const worker = byKind('Deployment').find((deployment) => deployment.metadata.name === 'orderly-worker')!;
    const preStop = api.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds as number;
    expect(api.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + drainSeconds);
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(workerGraceSeconds);
    expect(Number(configMap.data!.DATABASE_POOL_SIZE)).toBeGreaterThanOrEqual(5);
    expect(Number(configMap.data!.DATABASE_POOL_SIZE)).toBeLessThanOrEqual(10);
  });

  it('scales and protects Deployments that exist, by labels their pods carry', () => {
    const deployments = byKind('Deployment');
    for (const hpa of byKind('HorizontalPodAutoscaler')) {
      expect(deployments.map((deployment) => deployment.metadata.name)).toContain(hpa.spec.scaleTargetRef.name);
    }
    for (const budget of byKind('PodDisruptionBudget')) {
      const selector = budget.spec.selector.matchLabels as Record<string, string>;
      const matches = deployments.filter((deployment) =>
        Object.entries(selector).every(([key, value]) => deployment.spec.template.metadata.labels[key] === value),
      );
      expect(matches, budget.metadata.name).toHaveLength(1);
    }
    expect(byKind('Job').map((job) => job.spec.template.spec.containers[0].command.join(' '))).toEqual([
      'node dist/shared/database/migrate.js',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The rendered overlays: PostgreSQL's connection budget, TRUST_PROXY and the metrics port.
// ---------------------------------------------------------------------------------------------

const isObject = (value: unknown): value is Record<string, any> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Strategic merge as far as these patches need it: maps merge, lists of named items merge by name. */
function strategicMerge(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && [...patch, ...target].every((item) => isObject(item) && 'name' in item)) {
    const merged = target.map((item) => {
      const change = patch.find((candidate) => candidate.name === item.name);
      return change ? strategicMerge(item, change) : item;
    });
    return [...merged, ...patch.filter((item) => !target.some((existing) => existing.name === item.name))];
  }
  if (isObject(patch) && isObject(target)) {
    const merged: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch)) merged[key] = key in target ? strategicMerge(target[key], value) : value;
    return merged;
  }
  return patch;
}

/** `kustomize build` of one directory, as far as the budget needs it: resources and patches. */
function render(directory: string): Manifest[] {
  const kustomization = parse(join(directory, 'kustomization.yaml'))[0] as unknown as {
    resources?: string[];
    patches?: { path: string }[];
  };
  const objects = (kustomization.resources ?? []).flatMap((entry) => {
    const path = join(directory, entry);
    return statSync(path).isDirectory() ? render(path) : parse(path);
  });
  for (const patch of kustomization.patches ?? []) {
    for (const change of parse(join(directory, patch.path))) {
      const index = objects.findIndex((object) => object.kind === change.kind && object.metadata.name === change.metadata.name);
      objects[index] = strategicMerge(objects[index], change) as Manifest;
    }
  }
  return objects;
}

/**
 * PostgreSQL's default `max_connections` is 100, of which `superuser_reserved_connections` (3)
 * only a superuser may use; 12 more stay free for people and tools (psql, postgres_exporter,
 * backups). What the application may open, every pod at its maximum, is the rest.
 */
const POSTGRES_MAX_CONNECTIONS = 100;
const SUPERUSER_RESERVED = 3;
const OPERATOR_HEADROOM = 12;
const CONNECTION_BUDGET = POSTGRES_MAX_CONNECTIONS - SUPERUSER_RESERVED - OPERATOR_HEADROOM;
/** The app's default when DATABASE_POOL_SIZE is unset (CONTRACT §2); the migration Job opens one connection (migrate.ts). */
const DEFAULT_POOL_SIZE = 10;
const MIGRATION_JOB_CONNECTIONS = 1;

/** A variable as a Deployment's container sees it: its own `env` first, then the ConfigMaps it loads. */
function variableOf(objects: Manifest[], deployment: Manifest, name: string): string | undefined {
  const container = deployment.spec.template.spec.containers[0];
  const own = (container.env ?? []).find((variable: { name: string }) => variable.name === name);
  if (own) return own.value as string;
  for (const source of container.envFrom ?? []) {
    const map = objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === source.configMapRef?.name);
    if (map?.data?.[name] !== undefined) return map.data[name];
  }
  return undefined;
}

/** Pods × pool of every process, autoscaled to the maximum, during a rollout (maxSurge extra pods). */
function connectionsAtMaximum(objects: Manifest[]): { total: number; lines: string[] } {
  const lines: string[] = [];
  let total = 0;
  for (const deployment of objects.filter((object) => object.kind === 'Deployment')) {
    const hpa = objects.find(
      (object) => object.kind === 'HorizontalPodAutoscaler' && object.spec.scaleTargetRef.name === deployment.metadata.name,
    );
    const maxReplicas = (hpa?.spec.maxReplicas ?? deployment.spec.replicas ?? 1) as number;
    const surgeSetting = (deployment.spec.strategy?.rollingUpdate?.maxSurge ?? '25%') as number | string;
    const surge = typeof surgeSetting === 'number' ? surgeSetting : Math.ceil((maxReplicas * Number(surgeSetting.replace('%', ''))) / 100);
    const pool = Number(variableOf(objects, deployment, 'DATABASE_POOL_SIZE') ?? DEFAULT_POOL_SIZE);
    total += (maxReplicas + surge) * pool;
    lines.push(`${deployment.metadata.name}: (${maxReplicas} + ${surge} surge) × pool ${pool} = ${(maxReplicas + surge) * pool}`);
  }
  for (const job of objects.filter((object) => object.kind === 'Job')) {
    const pods = (job.spec.parallelism ?? 1) as number;
    total += pods * MIGRATION_JOB_CONNECTIONS;
    lines.push(`${job.metadata.name}: ${pods} × ${MIGRATION_JOB_CONNECTIONS}`);
  }
  return { total, lines };
}

const rendered = { base: render(join(K8S, 'base')), 'overlays/production': render(join(K8S, 'overlays/production')) };
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe.each(Object.entries(rendered))('Kubernetes %s, rendered', (target, objects) => {
  const deployments = objects.filter((object) => object.kind === 'Deployment');
  const configMap = objects.find((object) => object.kind === 'ConfigMap')!;

  it.skipIf(!kubectl)('renders here as `kubectl kustomize` renders it (replicas, pools, ports, strategies)', () => {
    const output = spawnSync('kubectl', ['kustomize', join(K8S, target)], { encoding: 'utf8' });
    expect(output.status, output.stderr).toBe(0);
    const theirs = parseAllDocuments(output.stdout).map((document) => document.toJS() as Manifest);
    expect(connectionsAtMaximum(theirs)).toEqual(connectionsAtMaximum(objects));
  });

  it(`stays within PostgreSQL's connection budget autoscaled to the maximum (≤ ${CONNECTION_BUDGET} of max_connections ${POSTGRES_MAX_CONNECTIONS})`, () => {
    const { total, lines } = connectionsAtMaximum(objects);
    expect(total, lines.join('\n')).toBeLessThanOrEqual(CONNECTION_BUDGET);
    // Every Deployment is autoscaled, so its maximum is the HPA's, not a replica count.
    for (const deployment of deployments) {
      expect(
        objects.some((object) => object.kind === 'HorizontalPodAutoscaler' && object.spec.scaleTargetRef.name === deployment.metadata.name),
      ).toBe(true);
    }
  });

  it('(control) the same arithmetic refuses v1’s production sizing: (30 + 12) pods × pool 8', () => {
    const v1 = objects.map((object) => {
      if (object.kind === 'HorizontalPodAutoscaler') {
        return strategicMerge(object, { spec: { maxReplicas: object.spec.scaleTargetRef.name === 'orderly-api' ? 30 : 12 } }) as Manifest;
      }
      if (object.kind === 'ConfigMap') return strategicMerge(object, { data: { DATABASE_POOL_SIZE: '8' } }) as Manifest;
      if (object.kind === 'Deployment') {
        const container = { ...object.spec.template.spec.containers[0], env: [] };
        return strategicMerge(object, { spec: { strategy: null, template: { spec: { containers: [container] } } } }) as Manifest;
      }
      return object;
    });
    expect(connectionsAtMaximum(v1).total).toBeGreaterThan(336);
  });

  it('sets TRUST_PROXY to a hop count the application accepts (one load balancer in front), never `true`', () => {
    const value = configMap.data!.TRUST_PROXY;
    expect(value).toMatch(/^[1-9]\d*$/);
    const env = loadEnvironment({
      ...configMap.data,
      JWT_SECRET: 'x'.repeat(32),
      PAYMENT_WEBHOOK_SECRET: 'y'.repeat(16),
      DATABASE_URL: 'postgres://orderly@postgres:5432/orderly',
      REDIS_URL: 'redis://redis:6379',
    });
    expect(env.trustProxy).toBe(Number(value));
  });

  it('scrapes /metrics on METRICS_PORT: a named port, scrape annotations, and a NetworkPolicy that admits it', () => {
    const metricsPort = Number(configMap.data!.METRICS_PORT);
    expect(metricsPort).toBeGreaterThan(0);
    expect([Number(configMap.data!.PORT), Number(configMap.data!.WORKER_PORT)]).not.toContain(metricsPort);
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    for (const deployment of deployments) {
      const template = deployment.spec.template;
      const ports = template.spec.containers[0].ports as { name: string; containerPort: number }[];
      expect(ports.find((port) => port.name === 'metrics')?.containerPort, deployment.metadata.name).toBe(metricsPort);
      expect(template.metadata.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(metricsPort),
        'prometheus.io/path': '/metrics',
      });
      const selecting = policies.filter((policy) =>
        Object.entries(policy.spec.podSelector.matchLabels ?? {}).every(([key, value]) => template.metadata.labels[key] === value),
      );
      expect(selecting.length, `${deployment.metadata.name} is selected by a NetworkPolicy`).toBeGreaterThan(0);
      const admitted = selecting.flatMap((policy) =>
        (policy.spec.ingress ?? []).flatMap((rule: { ports?: { port: number | string }[] }) => (rule.ports ?? []).map((port) => port.port)),
      );
      expect(admitted, deployment.metadata.name).toContain(metricsPort);
    }
    // The API's Service does not route to it: the public path never reaches /metrics.
    for (const service of objects.filter((object) => object.kind === 'Service')) {
      for (const port of service.spec.ports) expect([metricsPort, 'metrics']).not.toContain(port.targetPort);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('builds on Node 24 in stages and runs as a non-root user behind tini, with a health check', () => {
    expect(dockerfile.match(/^FROM node:24[\w.-]* AS \w+/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health\/live/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('copies into the build stage every file `npm run build` reads, and .dockerignore lets each through', () => {
    const build = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build;
    const inputs = build.split(/\s+/).filter((word) => /^[\w-]+(\/[\w.-]+)*\.\w+$/.test(word) && existsSync(join(ROOT, word)));
    expect(inputs).toEqual(expect.arrayContaining(['tsconfig.json', 'scripts/bundle.mjs']));
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    for (const input of inputs) {
      expect(dockerfile).toMatch(new RegExp(`^COPY ${input.replace(/[.]/g, '\\.')} `, 'm'));
      const excluded = ignored.includes(input) || ignored.includes(input.split('/')[0]);
      if (excluded) expect(ignored).toContain(`!${input}`);
    }
  });

  it('is started by docker-compose as migrate, api and worker from the same build', () => {
    const compose = parseAllDocuments(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'))[0].toJS() as {
      services: Record<string, any>;
    };
    for (const service of ['migrate', 'api', 'worker']) expect(compose.services[service].build).toBe('.');
    expect(compose.services['redis-queue'].command).toEqual(expect.arrayContaining(['noeviction', '--appendonly', 'yes']));
    expect(compose.services.api.depends_on.migrate.condition).toBe('service_completed_successfully');
  });
});
