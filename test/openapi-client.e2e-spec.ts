import { Ajv } from 'ajv';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { generateTypes } from './generated-client/generate.mjs';
import { TEST_ADMIN, useTestApp, withAdmin } from './support/app';

/**
 * Issue 10: the document is kept true by a consumer. Types are generated from the running app's
 * `/docs-json` with openapi-typescript, a typed openapi-fetch flow over every operation and its
 * error branches (test/generated-client/consumer-flow.mts) is compiled against them with our
 * TypeScript in strict mode, then run against the app; every response it gets is checked against
 * the document: documented status, content type, body schema and headers.
 */

type Schema = Record<string, any>;

interface Exchange {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: string;
}

const WEBHOOK_SECRET = 'consumer-flow-webhook-secret-0123456789';
const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const FLOW_SOURCE = resolve(__dirname, 'generated-client/consumer-flow.mts');
/** Under the root node_modules, so the compiled flow resolves `openapi-fetch` and `@types/node`. */
const CACHE = resolve(__dirname, '../node_modules/.cache');

describe('A client generated from the OpenAPI document', () => {
  // A client rate limit far above the flow's pace, so its RateLimit-* headers are sent and checked.
  const context = useTestApp({ ...withAdmin, PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET, RATE_LIMIT_PER_IP: '100000' });
  let document: Schema;
  let workDir: string;

  beforeAll(async () => {
    const response = await context.api.request({ url: '/docs-json' });
    expect(response.status).toBe(200);
    document = response.body;
    mkdirSync(CACHE, { recursive: true });
    workDir = mkdtempSync(join(CACHE, 'orderly-consumer-flow-'));
  });
  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('compiles a strict consumer of every operation, and every response it gets is documented', async () => {
    writeFileSync(join(workDir, 'schema.d.ts'), await generateTypes(document));
    const flowFile = join(workDir, 'consumer-flow.mts');
    copyFileSync(FLOW_SOURCE, flowFile);

    // Compile with the project's TypeScript, strict, the way a consumer's build would.
    const program = ts.createProgram([flowFile], {
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      skipLibCheck: true,
      outDir: workDir,
    });
    const emitted = program.emit();
    const diagnostics = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics);
    const host = { getCanonicalFileName: (name: string) => name, getCurrentDirectory: () => workDir, getNewLine: () => '\n' };
    expect(diagnostics.map((diagnostic) => ts.formatDiagnostic(diagnostic, host).trim())).toEqual([]);

    // Run it; requests go through the real HTTP pipeline (Fastify inject), every exchange recorded.
    const fastify = context.api.app.getHttpAdapter().getInstance();
    const exchanges: Exchange[] = [];
    const injectFetch = async (request: Request): Promise<Response> => {
      const url = new URL(request.url);
      const payload = request.body ? await request.text() : undefined;
      const reply = await fastify.inject({
        method: request.method as 'GET',
        url: url.pathname + url.search,
        headers: Object.fromEntries(request.headers),
        payload,
      });
      const headers = Object.fromEntries(
        Object.entries(reply.headers)
          .filter(([, value]) => value !== undefined)
          .map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : String(value)]),
      );
      exchanges.push({ method: request.method, path: url.pathname, status: reply.statusCode, headers, body: reply.body });
      const empty = reply.statusCode === 204 || reply.statusCode === 304;
      return new Response(empty ? null : reply.body, { status: reply.statusCode, headers });
    };
    const flow = (await import(pathToFileURL(join(workDir, 'consumer-flow.mjs')).href)) as {
      runFlow(options: object): Promise<string[]>;
    };
    const steps = await flow.runFlow({
      baseUrl: 'http://orderly.test',
      fetch: injectFetch,
      admin: TEST_ADMIN,
      webhookSecret: WEBHOOK_SECRET,
    });
    expect(steps.length).toBeGreaterThan(40);

    // Every operation of the document was called.
    const operations = Object.entries(document.paths as Record<string, Schema>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((method) => METHODS.includes(method))
        .map((method) => ({
          method: method.toUpperCase(),
          path,
          pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
          operation: item[method] as Schema,
        })),
    );
    const called = new Set(exchanges.map(({ method, path }) => operations.find((o) => o.method === method && o.pattern.test(path))));
    expect(operations.filter((operation) => !called.has(operation)).map(({ method, path }) => `${method} ${path}`)).toEqual([]);

    // Every response matches the document.
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const format of ['uuid', 'date-time', 'email', 'uri-reference', 'int32', 'int64']) ajv.addFormat(format, true);
    ajv.addSchema({ components: document.components }, 'document');
    const rebase = (schema: unknown): unknown => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"document#/components/'));
    const deref = (object: Schema): Schema =>
      object.$ref ? document.components[object.$ref.split('/')[2]][object.$ref.split('/')[3]] : object;

    const mismatches: string[] = [];
    for (const exchange of exchanges) {
      const found = operations.find((o) => o.method === exchange.method && o.pattern.test(exchange.path));
      const where = `${exchange.method} ${exchange.path} ${exchange.status}`;
      if (!found) {
        mismatches.push(`${where}: no such operation in the document`);
        continue;
      }
      const documented = found.operation.responses[String(exchange.status)] as Schema | undefined;
      if (!documented) {
        mismatches.push(`${where}: status not documented for ${found.method} ${found.path}`);
        continue;
      }
      const response = deref(documented);
      const mediaType = exchange.headers['content-type']?.split(';')[0]?.trim();
      const content = response.content as Record<string, Schema> | undefined;
      if (!content) {
        if (exchange.body !== '') mismatches.push(`${where}: documented without a body, got ${mediaType} ${exchange.body.slice(0, 100)}`);
      } else if (!mediaType || !content[mediaType]) {
        mismatches.push(`${where}: content type ${mediaType} not documented (${Object.keys(content).join(', ')})`);
      } else {
        let body: unknown;
        try {
          body = JSON.parse(exchange.body);
        } catch {
          mismatches.push(`${where}: body is not JSON`);
          continue;
        }
        const validate = ajv.compile(rebase(content[mediaType].schema) as Schema);
        if (!validate(body)) mismatches.push(`${where}: body ${ajv.errorsText(validate.errors)}: ${exchange.body.slice(0, 200)}`);
      }
      for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Schema>)) {
        const definition = deref(header);
        const value = exchange.headers[name.toLowerCase()];
        if (value === undefined) {
          // The rate-limit fields are on every counted response; the others are conditional.
          if (definition.required || name.startsWith('RateLimit-')) mismatches.push(`${where}: header ${name} missing`);
          continue;
        }
        const schema = definition.schema as Schema;
        const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
        const validate = ajv.compile(rebase(schema) as Schema);
        if (!validate(typed)) mismatches.push(`${where}: header ${name}: ${value} ${ajv.errorsText(validate.errors)}`);
      }
      // Headers this API promises where they apply.
      if (/^\/api\/v1\/products\/[^/]+$/.test(exchange.path) && [200, 304].includes(exchange.status) && !exchange.headers.etag)
        mismatches.push(`${where}: no ETag`);
      if (exchange.status === 429 && !exchange.headers['retry-after']) mismatches.push(`${where}: no Retry-After`);
      for (const name of Object.keys(exchange.headers)) {
        const known = Object.keys(response.headers ?? {}).map((header) => header.toLowerCase());
        if (['etag', 'idempotent-replayed', 'retry-after'].includes(name) && !known.includes(name))
          mismatches.push(`${where}: header ${name} sent but not documented`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
