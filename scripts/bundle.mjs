// `node scripts/bundle.mjs` (the last step of `npm run build`): bundles the API and the worker, from
// tsc's output in dist/, into one file each, in place — dist/main.js and dist/worker.js — with
// linked source maps back to src/. The rest of dist/ stays tsc's (npm run migrate, openapi, the CLI).
//
// Why: a process spent most of its start-up loading ~4,000 module files one by one, NestJS 12's
// ESM packages through require(esm) the slowest of them (BENCHMARKS.md, "Memory and start-up").
// Bundled, the API is ready about a third sooner.
//
// The input is tsc's JavaScript, not src/: esbuild cannot emit the decorator metadata Nest's
// injection and class-validator read. Only whitespace is minified (minifying syntax saves ~3 % of
// the size and drops the inner name of tsc's `let X = X_1 = class X`).
//
// Class names: esbuild turns a class that refers to itself (`new Logger(X.name)`) into
// `var X = class _X`, and renames one that shares a top-level name with a library's. Its
// `keepNames` puts them back with an Object.defineProperty on every function it wraps, each time
// one is created: 3–6 µs of a cached read, measured. Instead `restoreOurClassNames` gives each
// top-level class of ours its name once, as its module loads (TypeORM resolves
// `@ManyToOne('Order')` by class name; log contexts and errors use names). Libraries' classes keep
// esbuild's names, so some of Nest's start-up lines read `_InstanceLoader`, `_RoutesResolver`.
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
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
  // metadata store, and PartialType/PickType would stop inheriting @Transform and @Type.
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

/**
 * Appends to each of our modules (tsc's CommonJS in dist/) `Object.defineProperty(X, 'name', …)`
 * for each class it declares at top level — `class X` or tsc's decorated `let X = [X_1 =] class X`.
 * That runs after the module's static initialisers, so the build stops if one reads its class's name.
 */
const restoreOurClassNames = {
  name: 'restore-our-class-names',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const classes = [...source.matchAll(/^(?:class (\w+)|let (\w+) = (?:\w+ = )?class\b)/gm)].map(
        ([, plain, decorated]) => plain ?? decorated,
      );
      for (const name of classes) {
        if (new RegExp(`^\\s+static [^\\n]*\\b${name}(_1)?\\.name\\b`, 'm').test(source)) {
          throw new Error(
            `${args.path}: a static initialiser of ${name} reads ${name}.name, which is not yet restored then; read it on use`,
          );
        }
      }
      const restore = classes.map((name) => `Object.defineProperty(${name}, "name", { value: "${name}", configurable: true });\n`).join('');
      // Before the source map comment, which esbuild reads to map the bundle back to src/.
      const contents = source.replace(/(\/\/# sourceMappingURL=\S+\s*)?$/, (comment) => `${restore}${comment}`);
      return { contents, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

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
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  // NestJS 12's packages are ESM; the few that reach `import.meta.url` use it to `createRequire`.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [restoreOurClassNames],
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' },
});
for (const name of entries) {
  renameSync(`${staging}${name}.js`, `${dist}${name}.js`);
  // The map's sources are relative to where it was written; it moves one directory up.
  const map = JSON.parse(readFileSync(`${staging}${name}.js.map`, 'utf8'));
  map.sources = map.sources.map((source) => relative(dist, resolve(staging, source)));
  writeFileSync(`${dist}${name}.js.map`, JSON.stringify(map));
}
rmSync(staging, { recursive: true, force: true });
