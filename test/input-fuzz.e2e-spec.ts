import { createHmac } from 'node:crypto';
import { adminToken, createProduct, register, TestApp, TestResponse, useTestApp, withAdmin } from './support/app';

/**
 * CONTRACT §3: client input never produces a 5xx, and every 4xx is problem+json. The routes, their
 * path, query and header parameters and their body fields come from the OpenAPI document, so a new
 * route or field is fuzzed without this file changing. Values are built from field names and types
 * only (documented constraints are not relied on), and the run is deterministic: no random input.
 */

const WEBHOOK_SECRET = 'input-fuzz-webhook-secret';

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  security?: unknown[];
}

interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  params: Parameter[];
  body?: Schema;
}

interface Attempt {
  route: Route;
  what: string;
  url: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

const cursorOf = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Hostile values for a JSON body field, whatever its type. */
const HOSTILE_JSON: Array<[string, unknown]> = [
  ['NUL', '\u0000'],
  ['NUL inside', 'a\u0000b'],
  ['lone high surrogate', '\ud800'],
  ['lone low surrogate', 'a\udc00'],
  ['null', null],
  ['true', true],
  ['zero', 0],
  ['negative', -1],
  ['fraction', 1.5],
  ['int32 overflow', 2 ** 31],
  ['unsafe integer', 2 ** 53 + 1],
  ['huge', 1e308],
  ['negative huge', -1e308],
  ['empty string', ''],
  ['number as text', '12'],
  ['long string', 'x'.repeat(20_000)],
  ['long NUL string', `${'x'.repeat(300)}\u0000`],
  ['date out of range', '+275760-09-13T00:00:00.000Z'],
  ['malformed uuid', '00000000-0000-0000-0000-00000000000g'],
  ['nil uuid', '00000000-0000-0000-0000-000000000000'],
  ['unknown uuid', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'],
  ['array', ['a']],
  ['empty array', []],
  ['object', { a: 1 }],
  ['object with NUL key', { 'a\u0000': 1 }],
  ['array of null', [null]],
  ['array of objects', [{ productId: null, quantity: null }]],
  ['nested arrays', JSON.parse(deep(40)) as unknown],
];

/** Hostile values for a query or path parameter, already URL-encoded. */
const HOSTILE_URL: Array<[string, string]> = [
  ['NUL', '%00'],
  ['NUL inside', 'a%00b'],
  ['encoded lone surrogate', '%ED%A0%80'],
  ['invalid UTF-8', '%C3%28'],
  ['truncated escape', '%E2%82'],
  ['empty', ''],
  ['negative', '-1'],
  ['zero', '0'],
  ['fraction', '1.5'],
  ['huge', '1e308'],
  ['many digits', '9'.repeat(400)],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['true', 'true'],
  ['null', 'null'],
  ['long', 'x'.repeat(5_000)],
  ['malformed uuid', '00000000-0000-0000-0000-00000000000g'],
  ['uuid with NUL', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11%00'],
  ['unknown uuid', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'],
  ['json', encodeURIComponent('{"a":1}')],
  ['proto', '__proto__'],
];

/** Cursors that are base64url but do not stand for a position PostgreSQL can hold. */
const HOSTILE_CURSORS: Array<[string, string]> = [
  ['year 275760', cursorOf(['+275760-09-13T00:00:00.000Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['year 10000', cursorOf(['+010000-01-01T00:00:00.000Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['year -271821', cursorOf(['-271821-04-20T00:00:00.000Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['year 0', cursorOf(['0000-01-01T00:00:00.000Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['largest date as a number', cursorOf([8.64e15, 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['February 30', cursorOf(['2026-02-30T00:00:00.000Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['hour 24', cursorOf(['2026-01-01T24:00:00.000Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['microseconds', cursorOf(['2026-01-01T00:00:00.000001Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['NUL in date', cursorOf(['2026-01-01T00:00:00.000Z\u0000', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11'])],
  ['NUL in id', cursorOf(['2026-01-01T00:00:00.000Z', 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11\u0000'])],
  ['malformed id', cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])],
  ['object', cursorOf({ createdAt: '2026-01-01T00:00:00.000Z', id: 'd3b07384-d113-4ec2-a1b6-9f3c2d0e8a11' })],
  ['null', cursorOf(null)],
  ['deep', cursorOf(deep(100))],
  ['not JSON', cursorOf('not json')],
];

/** Hostile whole bodies, sent as raw JSON text. */
const HOSTILE_BODIES: Array<[string, string]> = [
  ['null', 'null'],
  ['number', '1e308'],
  ['string', '"\\u0000"'],
  ['array', '[]'],
  ['array of objects', '[{}]'],
  ['__proto__ key', '{"__proto__":{"isAdmin":true}}'],
  ['constructor.prototype', '{"constructor":{"prototype":{"isAdmin":true}}}'],
  ['NUL key', '{"\\u0000":1}'],
  ['lone surrogate key', '{"\\ud800":1}'],
  ['deeply nested array', deep(10_000)],
  ['deeply nested object', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`],
  ['truncated JSON', '{"a":'],
  ['duplicate keys', '{"a":1,"a":2}'],
];

/** Header parameters: values HTTP can carry but the route should still answer with a 4xx at worst. */
const HOSTILE_HEADERS: Array<[string, string]> = [
  ['empty', ''],
  ['long', 'x'.repeat(4_000)],
  ['latin-1', 'caf\u00e9'],
  ['quotes', '"""'],
  ['weak tag', 'W/"x"'],
  ['list', '"a", "b", *'],
  ['star', '*'],
];

describe('Input fuzz from the route table', () => {
  const context = useTestApp({ ...withAdmin, PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET });
  let api: TestApp;
  let admin: string;
  let customer: { accessToken: string; refreshToken: string; user: { id: string } };
  let productId: string;
  let orderId: string;
  let routes: Route[];
  let schemas: Record<string, Schema>;
  let unique = 0;

  const sign = (raw: string) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')}`;

  function resolve(schema: Schema | undefined): Schema {
    if (!schema) return {};
    if (schema.$ref) return resolve(schemas[schema.$ref.split('/').at(-1)!]);
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    return schema;
  }

  /** A value the route accepts for a field, chosen from its name and type only. */
  function validValue(name: string, raw: Schema | undefined, path = ''): unknown {
    const schema = resolve(raw);
    unique += 1;
    const lower = name.toLowerCase();
    if (schema.enum?.length) return schema.enum[0];
    if (schema.type === 'array') return [validObject(resolve(schema.items), path)];
    if (schema.type === 'object' || schema.properties) return validObject(schema, path);
    if (schema.type === 'integer' || schema.type === 'number') return lower.includes('quantity') ? 1 : 5;
    if (schema.type === 'boolean') return true;
    if (lower === 'productid') return productId;
    if (lower === 'orderid') return orderId;
    if (lower === 'userid') return customer.user.id;
    if (lower === 'id') return path.includes('/products') ? productId : path.includes('/orders') ? orderId : customer.user.id;
    if (schema.format === 'uuid' || lower.endsWith('id')) return lower.includes('event') ? `evt-fuzz-${unique}` : productId;
    if (lower.includes('email')) return `fuzz-${unique}@example.com`;
    if (lower.includes('password')) return 'correct horse battery';
    if (lower === 'sku') return `FUZZ-${unique}`;
    if (lower === 'cursor') return undefined;
    if (lower.includes('token')) return 'x'.repeat(43);
    return `Fuzz ${unique}`;
  }

  function validObject(schema: Schema, path: string): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const name of schema.required ?? []) body[name] = validValue(name, schema.properties?.[name], path);
    return body;
  }

  function urlOf(route: Route, overrides: Record<string, string> = {}): string {
    let url = route.path;
    for (const param of route.params.filter((candidate) => candidate.in === 'path')) {
      const value = overrides[param.name] ?? encodeURIComponent(String(validValue(param.name, param.schema, route.path)));
      url = url.replace(`{${param.name}}`, value);
    }
    const query = route.params
      .filter((candidate) => candidate.in === 'query' && overrides[candidate.name] !== undefined)
      .map((candidate) => `${candidate.name}=${overrides[candidate.name]}`);
    return query.length > 0 ? `${url}?${query.join('&')}` : url;
  }

  function baseBody(route: Route): Record<string, unknown> | undefined {
    if (!route.body) return undefined;
    // A partial update with nothing in it is still a valid request; other bodies get their required fields.
    return validObject(resolve(route.body), route.path);
  }

  async function send(attempt: Attempt): Promise<TestResponse> {
    const { route } = attempt;
    const raw = attempt.rawBody ?? (attempt.body === undefined ? undefined : JSON.stringify(attempt.body));
    const webhook = route.path.endsWith('/webhook');
    return api.request({
      method: route.method,
      url: attempt.url,
      token: webhook ? undefined : admin,
      body: raw,
      headers: {
        ...(raw !== undefined && { 'content-type': 'application/json' }),
        ...(webhook && raw !== undefined && { 'x-signature': sign(raw) }),
        ...attempt.headers,
      },
    });
  }

  function* attempts(route: Route): Generator<Attempt> {
    const body = baseBody(route);
    const schema = resolve(route.body);
    for (const param of route.params) {
      const values = param.in === 'header' ? HOSTILE_HEADERS : param.name === 'cursor' ? [...HOSTILE_URL, ...HOSTILE_CURSORS] : HOSTILE_URL;
      for (const [label, value] of values) {
        const what = `${param.in} ${param.name}: ${label}`;
        if (param.in === 'header') yield { route, what, url: urlOf(route), body, headers: { [param.name.toLowerCase()]: value } };
        else yield { route, what, url: urlOf(route, { [param.name]: value }), body };
      }
    }
    if (route.params.some((param) => param.in === 'query')) {
      // The same parameter twice arrives as an array, not the string a DTO expects.
      const name = route.params.find((param) => param.in === 'query')!.name;
      yield { route, what: `query ${name}: repeated`, url: `${urlOf(route)}?${name}=1&${name}=2`, body };
      yield { route, what: 'query: unknown NUL parameter', url: `${urlOf(route)}?a%00=1`, body };
    }
    if (!body) return;
    const fields = Object.entries(schema.properties ?? {});
    for (const [name, field] of fields) {
      for (const [label, value] of HOSTILE_JSON)
        yield { route, what: `body ${name}: ${label}`, url: urlOf(route), body: { ...body, [name]: value } };
      const items = resolve(resolve(field).items);
      for (const child of Object.keys(items.properties ?? {})) {
        const element = validObject(items, route.path);
        for (const [label, value] of HOSTILE_JSON) {
          yield {
            route,
            what: `body ${name}[0].${child}: ${label}`,
            url: urlOf(route),
            body: { ...body, [name]: [{ ...element, [child]: value }] },
          };
        }
      }
    }
    for (const [label, rawBody] of HOSTILE_BODIES) yield { route, what: `body: ${label}`, url: urlOf(route), rawBody };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
      yield { route, what: `body as ${type}`, url: urlOf(route), rawBody: 'a=%00', headers: { 'content-type': type } };
    }
    yield { route, what: 'body: unknown field', url: urlOf(route), body: { ...body, ['x\u0000']: null } };
  }

  beforeAll(async () => {
    api = context.api;
    admin = await adminToken(api);
    customer = await register(api);
    productId = (await createProduct(api, admin, { stock: 1_000_000 })).id;
    const order = await api.request({
      method: 'POST',
      url: '/api/v1/orders',
      token: customer.accessToken,
      body: { items: [{ productId, quantity: 1 }] },
    });
    expect(order.status).toBe(201);
    orderId = order.body.id as string;

    const document = await api.request({ url: '/docs-json' });
    expect(document.status).toBe(200);
    schemas = document.body.components?.schemas ?? {};
    routes = Object.entries(document.body.paths as Record<string, Record<string, Operation>>).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([method]) => ['get', 'post', 'patch', 'put', 'delete'].includes(method))
        .map(([method, operation]) => ({
          method: method.toUpperCase() as Route['method'],
          path,
          params: operation.parameters ?? [],
          body: operation.requestBody?.content?.['application/json']?.schema,
        })),
    );
  });

  it('reads every route family from the OpenAPI document', () => {
    const families = new Set(routes.map((route) => route.path.split('/')[3]));
    for (const family of ['auth', 'users', 'products', 'orders', 'payments']) expect(families).toContain(family);
    expect(routes.filter((route) => route.body).length).toBeGreaterThanOrEqual(10);
  });

  it('positive control: the generated valid request reaches the handler and succeeds on every API route', async () => {
    // These routes cannot succeed with made-up input; their handler answering its own 4xx proves it was reached.
    const handlerRefusals: Record<string, number> = {
      'POST /api/v1/auth/refresh': 401,
      'POST /api/v1/auth/logout': 204,
      'POST /api/v1/auth/password/reset': 400,
      'POST /api/v1/orders/{id}/ship': 409,
      'POST /api/v1/auth/login': 401,
    };
    const failures: string[] = [];
    const ordered = [...routes].sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of ordered.filter((candidate) => candidate.path.startsWith('/api/v1/'))) {
      const key = `${route.method} ${route.path}`;
      const response = await send({ route, what: 'valid', url: urlOf(route), body: baseBody(route) });
      const expected = handlerRefusals[key];
      const ok = expected ? response.status === expected : response.status >= 200 && response.status < 300;
      if (!ok) failures.push(`${key} → ${response.status} ${response.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);

    // A cursor from a real page still pages, so cursor refusals are not refusals of every cursor.
    await createProduct(api, admin);
    const first = await api.request({ url: '/api/v1/products?limit=1' });
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await api.request({ url: `/api/v1/products?limit=1&cursor=${first.body.nextCursor}` })).status).toBe(200);
    // The fuzz's own NUL and null refusals stand next to their accepted twins.
    expect((await api.request({ url: '/api/v1/products?q=Fuzz' })).status).toBe(200);
    const renamed = await api.request({ method: 'PATCH', url: '/api/v1/users/me', token: customer.accessToken, body: { name: 'Ada' } });
    expect(renamed.status).toBe(200);
    const patched = await api.request({ method: 'PATCH', url: `/api/v1/products/${productId}`, token: admin, body: { name: 'Mug' } });
    expect(patched.status).toBe(200);
  });

  it('answers every hostile value with a problem+json 4xx, never a 5xx', async () => {
    const failures: string[] = [];
    let sent = 0;
    const statuses = new Map<number, number>();
    for (const route of routes) {
      for (const attempt of attempts(route)) {
        let response: TestResponse;
        try {
          response = await send(attempt);
        } catch (error) {
          failures.push(`${route.method} ${attempt.url.slice(0, 120)} [${attempt.what}] threw ${(error as Error).message}`);
          continue;
        }
        sent += 1;
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const where = `${route.method} ${route.path} [${attempt.what}] → ${response.status}`;
        if (response.status >= 500) failures.push(`${where} ${response.text.slice(0, 200)}`);
        else if (response.status >= 400) {
          const type = String(response.headers['content-type'] ?? '');
          if (!type.startsWith('application/problem+json')) failures.push(`${where} content-type ${type}`);
          else if (response.body?.status !== response.status) failures.push(`${where} problem status ${response.body?.status}`);
        }
      }
    }
    console.info(`input fuzz: ${sent} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1_000);
    // The refusals are specific: NUL and null are 400s that name the field.
    const nul = await api.request({ url: '/api/v1/products?q=%00' });
    expect(nul.status).toBe(400);
    expect(nul.body.errors).toEqual([{ field: 'q', message: expect.stringContaining('NUL') }]);
    const nulled = await api.request({ method: 'PATCH', url: `/api/v1/products/${productId}`, token: admin, body: { name: null } });
    expect(nulled.status).toBe(400);
    expect(nulled.body.errors).toEqual([{ field: 'name', message: 'name must not be null' }]);
  });
});
