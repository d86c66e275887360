// `node scripts/bundle.mjs` (the last step of `npm run build`): bundles the API and the worker, from
// tsc's output in dist/, into one file each, in place — dist/main.js and dist/worker.js — with
// linked source maps back to src/. The rest of dist/ stays tsc's (npm run migrate, openapi, the CLI).
//
// Why: a process spent most of its start-up loading ~4,000 module files one by one, NestJS 12's
// ESM packages through require(esm) the slowest of them (BENCHMARKS.md, "Memory and start-up").
// Bundled, the API is ready about a third sooner.
//
// The input is tsc's JavaScript, not src/: esbuild cannot emit the decorator metadata Nest's
// injection and class-validator read. Names are kept (Nest's module tokens, TypeORM's entity
// metadata and every log context use class names); whitespace and syntax are minified, not names.
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const staging = `${dist}.bundle/`;

/** Packages left to Node's `require` at run time, from node_modules, each for a reason. */
const EXTERNAL = [
  // OpenTelemetry's instrumentations patch these through Node's module loader, so they must be
  // loaded by it for spans to exist (tracing.e2e-spec.ts); typeorm loads pg itself.
  'pg',
  'ioredis',
  '@redis/client',
  'typeorm',
  // Required by name at run time by packages in the bundle (@nestjs/mapped-types' type helpers,
  // Nest's ValidationPipe): a bundled copy beside that one would hold a second class-transformer
  // metadata store, and PartialType/PickType would stop inheriting @Type.
  'class-transformer',
  'class-validator',
  // Loaded on first use only (tracing when configured, the queue dashboard, embedded PostgreSQL,
  // mail in the worker): outside the bundle they stay out of start-up and idle memory.
  '@opentelemetry/*',
  '@fastify/otel',
  'bullmq-otel',
  '@bull-board/*',
  '@electric-sql/*',
  'nodemailer',
  // Files found next to the package at run time: Swagger UI's assets, argon2's native addon.
  'swagger-ui-dist',
  'argon2',
  // Optional peers that Nest and pg import only when used; not installed.
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-express',
  '@fastify/view',
  '@fastify/multipart',
  'pg-native',
];

const entries = ['main', 'worker'];
rmSync(staging, { recursive: true, force: true });
await build({
  entryPoints: entries.map((name) => `${dist}${name}.js`),
  outdir: staging,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.19',
  external: EXTERNAL, // a package's subpaths too
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  // NestJS 12's packages are ESM; the few that reach `import.meta.url` use it to `createRequire`.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' },
});
for (const name of entries) {
  for (const file of [`${name}.js`, `${name}.js.map`]) renameSync(`${staging}${file}`, `${dist}${file}`);
}
rmSync(staging, { recursive: true, force: true });
