import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as batch from 'kubernetes-models/batch/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

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

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('builds on Node 24 in stages and runs as a non-root user behind tini, with a health check', () => {
    expect(dockerfile.match(/^FROM node:24[\w.-]* AS \w+/gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health\/live/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
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
