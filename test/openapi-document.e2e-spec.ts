import { Ajv } from 'ajv';
import { ShutdownState } from '../src/health/shutdown-state';
import { register, TestApp, useTestApp, withAdmin } from './support/app';

/**
 * CONTRACT §3 (v2): the OpenAPI document is part of the contract. Its rules are checked once
 * across every operation of the running app's document — a new route is held to them without
 * this file changing — plus a few real error bodies checked against the problem schema it declares.
 */

type Schema = Record<string, any>;

interface Operation {
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> }>;
  security?: Array<Record<string, string[]>>;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const PROBLEM_REF = '#/components/schemas/Problem';

describe('The OpenAPI document', () => {
  const context = useTestApp(withAdmin);
  let api: TestApp;
  let document: Schema;
  let operations: Array<{ name: string; path: string; operation: Operation }>;

  const resolve = (schema: Schema): Schema => (schema.$ref ? resolve(document.components.schemas[schema.$ref.split('/').at(-1)]) : schema);

  /** Every schema reachable from `schema`, through `$ref`s, properties, items and combinators. */
  function* walk(schema: Schema, seen = new Set<Schema>()): Generator<Schema> {
    const target = resolve(schema);
    if (seen.has(target)) return;
    seen.add(target);
    yield target;
    const children = [
      ...Object.values((target.properties ?? {}) as Record<string, Schema>),
      ...(target.items ? [target.items as Schema] : []),
      ...(typeof target.additionalProperties === 'object' ? [target.additionalProperties as Schema] : []),
      ...((target.allOf ?? []) as Schema[]),
      ...((target.oneOf ?? []) as Schema[]),
      ...((target.anyOf ?? []) as Schema[]),
    ];
    for (const child of children) yield* walk(child, seen);
  }

  const needsToken = (operation: Operation) => {
    const security = operation.security ?? (document.security as Operation['security']) ?? [];
    return security.length > 0 && !security.some((requirement) => Object.keys(requirement).length === 0);
  };

  beforeAll(async () => {
    api = context.api;
    const response = await api.request({ url: '/docs-json' });
    expect(response.status).toBe(200);
    document = response.body;
    operations = Object.entries(document.paths as Record<string, Record<string, Operation>>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, path, operation })),
    );
  });

  /** Operations breaking `rule`, by name; `[]` when it holds everywhere. */
  const breaking = (rule: (operation: Operation, path: string) => boolean) =>
    operations.filter(({ operation, path }) => !rule(operation, path)).map(({ name }) => name);

  it('covers every route family, health included', () => {
    const names = operations.map(({ name }) => name);
    expect(names.length).toBeGreaterThanOrEqual(24);
    for (const name of [
      'GET /health/live',
      'GET /health/ready',
      'POST /api/v1/orders',
      'POST /api/v1/payments/webhook',
      'GET /api/v1/payments',
    ])
      expect(names).toContain(name);
  });

  it('registers one problem schema, with the validation errors array', () => {
    const problem = document.components.schemas.Problem;
    expect(problem.required).toEqual(['type', 'title', 'status', 'detail']);
    expect(problem.properties.status.type).toBe('integer');
    expect(problem.properties.errors.items).toMatchObject({ required: ['field', 'message'] });
  });

  it('answers every error as application/problem+json with the shared problem schema', () => {
    const failures = operations.flatMap(({ name, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => Number(status) >= 400)
        .filter(([, response]) => {
          const types = Object.keys(response.content ?? {});
          return types.length !== 1 || response.content?.['application/problem+json']?.schema.$ref !== PROBLEM_REF;
        })
        .map(([status]) => `${name} ${status}`),
    );
    expect(failures).toEqual([]);
  });

  it('lists 401 on every operation that needs a token', () => {
    expect(breaking((operation) => !needsToken(operation) || '401' in operation.responses)).toEqual([]);
    // Without a token these are refused; the document says so.
    const guarded = operations.filter(({ operation }) => needsToken(operation)).map(({ name }) => name);
    expect(guarded).toEqual(expect.arrayContaining(['GET /api/v1/users/me', 'POST /api/v1/orders', 'POST /api/v1/payments/webhook']));
    expect(guarded).not.toContain('GET /api/v1/products');
  });

  it('lists 403 on every operation that refuses a customer', async () => {
    const customer = await register(api);
    // Guards run before validation and lookups, so a customer's request to an admin route is a 403
    // whatever its body or id; every other route answers something else (200, 400, 404, ...).
    const refused: string[] = [];
    for (const { name, path, operation } of operations.filter((candidate) => needsToken(candidate.operation))) {
      const [method] = name.split(' ');
      const url = path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      const body = operation.requestBody ? {} : undefined;
      const response = await api.request({ method: method as 'GET', url, token: customer.accessToken, body });
      if (response.status === 403) refused.push(name);
    }
    expect(refused).toEqual(
      expect.arrayContaining(['GET /api/v1/users', 'POST /api/v1/products', 'POST /api/v1/orders/{id}/ship', 'GET /api/v1/payments']),
    );
    expect(refused.filter((name) => !('403' in operations.find((candidate) => candidate.name === name)!.operation.responses))).toEqual([]);
  });

  it('lists 400 on every operation with a body, a query or a path parameter', () => {
    const hasInput = (operation: Operation) =>
      operation.requestBody !== undefined || (operation.parameters ?? []).some((parameter) => ['query', 'path'].includes(parameter.in));
    expect(breaking((operation) => !hasInput(operation) || '400' in operation.responses)).toEqual([]);
  });

  it('types every path id as a UUID, and lists 404 for it', () => {
    expect(
      breaking((operation) =>
        (operation.parameters ?? [])
          .filter((parameter) => parameter.in === 'path')
          .every((parameter) => parameter.schema?.format === 'uuid' && '404' in operation.responses),
      ),
    ).toEqual([]);
  });

  it('closes every request body: additionalProperties false, down to nested objects', () => {
    const open = operations.flatMap(({ name, operation }) =>
      Object.values(operation.requestBody?.content ?? {}).flatMap(({ schema }) =>
        [...walk(schema)]
          .filter((node) => (node.type === 'object' || node.properties) && node.additionalProperties !== false)
          .map(() => name),
      ),
    );
    expect(open).toEqual([]);
  });

  it('types whole numbers as integer, bounded, never as number', () => {
    const roots = [
      ...Object.values(document.components.schemas as Record<string, Schema>),
      ...operations.flatMap(({ operation }) => (operation.parameters ?? []).map((parameter) => parameter.schema ?? {})),
      ...Object.values((document.components.headers ?? {}) as Record<string, { schema: Schema }>).map((header) => header.schema),
    ];
    const nodes = roots.flatMap((root) => [...walk(root)]);
    expect(nodes.filter((node) => node.type === 'number')).toEqual([]);
    const unbounded = nodes.filter(
      (node) => node.type === 'integer' && (node.minimum === undefined || node.maximum === undefined || !node.format),
    );
    expect(unbounded).toEqual([]);
  });

  it('says 429 with Retry-After, and RateLimit-* on every response, for every counted route', () => {
    const counted = (path: string) => path.startsWith('/api/');
    expect(breaking((operation, path) => !counted(path) || operation.responses['429']?.headers?.['Retry-After'] !== undefined)).toEqual([]);
    const withoutRateLimit = operations.flatMap(({ name, path, operation }) =>
      counted(path)
        ? Object.entries(operation.responses)
            .filter(
              ([, response]) =>
                !['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'].every((header) => response.headers?.[header]),
            )
            .map(([status]) => `${name} ${status}`)
        : [],
    );
    expect(withoutRateLimit).toEqual([]);
  });

  it('documents the idempotency, entity-tag and signature headers', () => {
    const createOrder = document.paths['/api/v1/orders'].post as Operation;
    expect(createOrder.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', schema: expect.objectContaining({ minLength: 1, maxLength: 255 }) }),
    );
    expect(createOrder.responses['201'].headers?.['Idempotent-Replayed']).toBeDefined();
    expect(Object.keys(createOrder.responses)).toEqual(expect.arrayContaining(['409', '422']));
    for (const [path, method, status] of [
      ['/api/v1/products/{id}', 'get', '200'],
      ['/api/v1/products/{id}', 'patch', '200'],
      ['/api/v1/products', 'post', '201'],
    ] as const) {
      expect((document.paths[path][method] as Operation).responses[status].headers?.ETag).toBeDefined();
    }
    expect(document.components.securitySchemes.webhookSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Signature' });
    expect((document.paths['/api/v1/payments/webhook'].post as Operation).security).toEqual([{ webhookSignature: [] }]);
    expect(document.components.securitySchemes.bearer.description).toMatch(/RFC8725/);
  });

  it('does not claim a default the server does not apply', () => {
    const update = resolve(document.paths['/api/v1/products/{id}'].patch.requestBody.content['application/json'].schema);
    expect(update.required ?? []).toEqual([]);
    expect(Object.values(update.properties as Record<string, Schema>).filter((property) => 'default' in property)).toEqual([]);
  });

  describe('real responses match it', () => {
    let validate: (schemaName: string, body: unknown) => string[];

    beforeAll(() => {
      const ajv = new Ajv({ strict: false, allErrors: true });
      // OpenAPI 3.0 schemas (ajv knows `nullable`); the formats are the document's to define, not checked here.
      for (const format of ['uuid', 'date-time', 'email', 'uri-reference', 'int32', 'int64']) ajv.addFormat(format, true);
      ajv.addSchema({ components: document.components }, 'document');
      validate = (schemaName, body) => {
        const check = ajv.getSchema(`document#/components/schemas/${schemaName}`)!;
        return check(body) ? [] : (check.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
      };
    });

    it('a 400 with field errors is the problem schema, as problem+json', async () => {
      const response = await api.request({ method: 'POST', url: '/api/v1/auth/register', body: { email: 'nope', role: 'admin' } });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.errors.length).toBeGreaterThan(0);
      expect(validate('Problem', response.body)).toEqual([]);
    });

    it('a 401 is the problem schema', async () => {
      const response = await api.request({ url: '/api/v1/users/me' });
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(validate('Problem', response.body)).toEqual([]);
    });

    it('a 404 from a path id and a 401 from the webhook are the problem schema', async () => {
      const missing = await api.request({ url: '/api/v1/products/00000000-0000-4000-8000-000000000000' });
      expect(missing.status).toBe(404);
      expect(validate('Problem', missing.body)).toEqual([]);
      const unsigned = await api.request({ method: 'POST', url: '/api/v1/payments/webhook', body: {} });
      expect(unsigned.status).toBe(401);
      expect(validate('Problem', unsigned.body)).toEqual([]);
    });

    it('framework refusals (body type, body size, path length) answer statuses the document lists', async () => {
      const documented = (path: string, method: string) => Object.keys((document.paths[path][method] as Operation).responses);
      const xml = await api.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        body: 'a=1',
        headers: { 'content-type': 'application/xml' },
      });
      const huge = await api.request({ method: 'POST', url: '/api/v1/auth/register', body: { name: 'x'.repeat(200_000) } });
      const longId = await api.request({ url: `/api/v1/products/${'x'.repeat(5_000)}` });
      expect([xml.status, huge.status, longId.status]).toEqual([415, 413, 414]);
      for (const [response, path, method] of [
        [xml, '/api/v1/auth/register', 'post'],
        [huge, '/api/v1/auth/register', 'post'],
        [longId, '/api/v1/products/{id}', 'get'],
      ] as const) {
        expect(documented(path, method)).toContain(String(response.status));
        expect(validate('Problem', response.body)).toEqual([]);
      }
    });

    it('the health routes answer as documented', async () => {
      const live = await api.request({ url: '/health/live' });
      expect(live.status).toBe(200);
      expect(validate('LiveResponse', live.body)).toEqual([]);
      const ready = await api.request({ url: '/health/ready' });
      expect(ready.status).toBe(200);
      expect(validate('ReadyResponse', ready.body)).toEqual([]);
      const shutdown = api.app.get(ShutdownState);
      shutdown.draining = true;
      try {
        const draining = await api.request({ url: '/health/ready' });
        expect(draining.status).toBe(503);
        expect(draining.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(validate('Problem', draining.body)).toEqual([]);
      } finally {
        shutdown.draining = false;
      }
    });
  });
});
