import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from './app.module';
import { loadEnvironment } from './shared/config/environment';
import { applyApiPrefix, buildOpenApiDocument } from './shared/http/create-http-app';

/**
 * `npm run openapi [-- <file>]`: writes the OpenAPI document that `/docs-json` serves, without a
 * database, Redis or a port — so a consumer's CI can generate a client from a clone.
 *
 * The app is created in Nest's preview mode: modules and routes are scanned, no provider or
 * controller is instantiated (no connection, no embedded PostgreSQL, no timers). The document is
 * built by the same `buildOpenApiDocument` as the running app's, over the same `/api/v1` prefix.
 * It depends on the code only, not on configuration: the process environment is not read (a CI
 * job's `NODE_ENV=production` without secrets, or an unreachable `DATABASE_URL`, changes nothing).
 */
async function exportOpenApi(target: string): Promise<void> {
  const env = loadEnvironment({});
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(env), new FastifyAdapter(), {
    preview: true,
    abortOnError: false,
    logger: false,
  });
  applyApiPrefix(app);
  const document = buildOpenApiDocument(app);
  writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  const operations = Object.values(document.paths).reduce((count, item) => count + Object.keys(item).length, 0);
  process.stdout.write(`Wrote ${target} (OpenAPI ${document.openapi}, ${operations} operations)\n`);
}

exportOpenApi(resolve(process.argv[2] ?? 'openapi.json')).then(
  // Preview mode opens nothing, but an exit code is only certain once we say so.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
