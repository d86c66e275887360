// `node scripts/bundle.mjs` (the last step of `npm run build`): bundles the API and the worker, from
// tsc's output in dist/, into one file each, in place — dist/main.js and dist/worker.js — with
// linked source maps back to src/. The rest of dist/ stays tsc's (npm run migrate, openapi, the CLI).
//
// Why: a process spent most of its start-up loading ~4,000 module files one by one, NestJS 12's
// ESM packages through require(esm) the slowest of them (BENCHMARKS.md, "Memory and start-up").
// Bundled, the API is ready about a third sooner.
//
// The input is tsc's JavaScript, not src/: esbuild cannot emit the decorator metadata Nest's
// injection and class-validator read. Whitespace and syntax are minified, names are not. Our modules
// are tsc's CommonJS, each bundled in a scope of its own, so no class of ours is renamed (TypeORM's
// entity metadata, log contexts and error messages use class names); esbuild renames a top-level
// name only where two ESM modules of a library declare the same one (a handful, such as ajv's
// `Scope`). `keepNames` would restore those at the price of an Object.defineProperty on every
// function it wraps, each time one is created: ~3 µs of a cached read, in the profile.
import { build } from 'esbuild';
import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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
assertOurClassesKeepTheirNames();
for (const name of entries) {
  for (const file of [`${name}.js`, `${name}.js.map`]) renameSync(`${staging}${file}`, `${dist}${file}`);
}
rmSync(staging, { recursive: true, force: true });

/**
 * TypeORM finds an entity named in a string relation (`@ManyToOne('Order', …)`) by its class name,
 * and logs and errors name classes: fails the build if esbuild renamed one of ours (`Order2`)
 * because a library in the bundle declares the same top-level name.
 */
function assertOurClassesKeepTheirNames() {
  const ours = new Set();
  for (const file of readdirSync(dist, { recursive: true })) {
    if (!file.endsWith('.js') || file.startsWith('.bundle')) continue;
    for (const [, name] of readFileSync(`${dist}${file}`, 'utf8').matchAll(/\bclass (\w+)/g)) ours.add(name);
  }
  for (const name of entries) {
    const bundle = readFileSync(`${staging}${name}.js`, 'utf8');
    for (const [, renamed, original] of bundle.matchAll(/\b((\w+?)\d+)=class\b/g)) {
      if (ours.has(original) && !ours.has(renamed)) {
        throw new Error(
          `${name}.js: class ${original} was renamed ${renamed} in the bundle; give it a name no bundled library uses at top level`,
        );
      }
    }
  }
}
