import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TEST_ADMIN, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { freePort } from './support/private-redis';
import { apiProcessEnvironment, ROOT, RunningProcess, startProcess, waitForHttp } from './support/process';

/**
 * `npm run build` bundles the API and the worker (scripts/bundle.mjs); most end-to-end tests run the
 * application in-process from src/, so this file checks what only a bundle can get wrong: a second
 * copy of a package the bundle also holds, and files looked up beside a package at run time.
 */
describe('the bundled build', () => {
  it.each(['dist/main.js', 'dist/worker.js'])('%s is one file: it requires none of our modules, and maps back to src/', (entry) => {
    const source = readFileSync(resolve(ROOT, entry), 'utf8');
    expect(source).not.toMatch(/require\("\.\.?\//);
    expect(source).toMatch(/\/\/# sourceMappingURL=\w+\.js\.map\s*$/);
    const map = JSON.parse(readFileSync(resolve(ROOT, `${entry}.map`), 'utf8')) as { sources: string[] };
    const ours = map.sources.filter((source) => source.startsWith('../src/'));
    expect(ours.length).toBeGreaterThan(20);
    for (const source of ours) expect(existsSync(resolve(ROOT, 'dist', source)), source).toBe(true);
  });

  describe('the API process', () => {
    let database: TestDatabase;
    let api: RunningProcess;
    let base: string;
    let admin: string;

    const send = async (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
      const { token, json, ...rest } = init;
      const response = await fetch(`${base}${path}`, {
        ...rest,
        headers: {
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await response.text();
      return { status: response.status, type: response.headers.get('content-type') ?? '', text, body: safeJson(text) };
    };

    beforeAll(async () => {
      database = await createTestDatabase();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      api = startProcess(
        'dist/main.js',
        apiProcessEnvironment({
          DATABASE_URL: database.url,
          REDIS_PREFIX: uniqueRedisPrefix(),
          PORT: String(port),
          LOG_LEVEL: 'info',
          ...withAdmin,
        }),
      );
      await waitForHttp(`${base}/health/ready`, 60_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${api.output()}`);
      });
      admin = (await send('/api/v1/auth/login', { method: 'POST', json: TEST_ADMIN })).body.accessToken;
    });

    afterAll(async () => {
      api?.child.kill('SIGTERM');
      await api?.exited;
      await database?.drop();
    });

    it("names Nest's start-up lines after its classes, not esbuild's renamings of them", () => {
      const contexts = new Set([...api.output().matchAll(/"context":"([^"]+)"/g)].map(([, context]) => context));
      expect(contexts).toContain('InstanceLoader');
      expect(contexts).toContain('RoutesResolver');
      expect([...api.output().matchAll(/InstanceLoader","msg":"(\w+) dependencies/g)].map(([, module]) => module)).toContain(
        'TypeOrmModule',
      );
      expect([...contexts].filter((context) => /^_|\d$/.test(context))).toEqual([]);
    });

    it('trims a renamed product: PartialType inherits @Transform from the one class-transformer', async () => {
      const created = await send('/api/v1/products', {
        method: 'POST',
        token: admin,
        json: { sku: 'BUNDLE-1', name: 'Mug', priceCents: 100, stock: 1 },
      });
      expect(created.status).toBe(201);
      const renamed = await send(`/api/v1/products/${created.body.id}`, { method: 'PATCH', token: admin, json: { name: '  Big mug  ' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('Big mug');
    });

    it('validates nested order lines (@Type, @ValidateNested) and names the refused field', async () => {
      const refused = await send('/api/v1/orders', {
        method: 'POST',
        token: admin,
        json: { items: [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 0 }] },
      });
      expect(refused.status).toBe(400);
      expect(refused.type).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(refused.body.errors)).toMatch(/items\.0\.quantity/);
    });

    it('serves Swagger UI, its assets from swagger-ui-dist, and the OpenAPI document', async () => {
      const page = await send('/docs');
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/swagger-ui/i);
      const asset = await send('/docs/swagger-ui.css');
      expect(asset.status).toBe(200);
      expect(asset.type).toMatch(/text\/css/);
      const document = await send('/docs-json');
      expect(document.status).toBe(200);
      expect(Object.keys(document.body.paths)).toContain('/api/v1/products/{id}');
    });

    it('reports ready with both dependencies', async () => {
      const ready = await send('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.info).toEqual({ database: { status: 'up' }, redis: { status: 'up' } });
    });
  });
});

function safeJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
