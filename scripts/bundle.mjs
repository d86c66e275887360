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
// one is created: 3–6 µs of a cached read, measured. Instead each top-level class of ours and of
// Nest's gets its name back once, as its module loads (classNamesRestored: TypeORM resolves
// `@ManyToOne('Order')` by class name; log contexts and errors use names). Other libraries'
// classes keep esbuild's names (BullMQ's `Job` is `_Job`).
import { build } from 'esbuild';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const staging = `${dist}.bundle/`;

/** Packages left to Node's `require` at run time, from node_modules, each for a reason. */
const EXTERNAL = [
  // OpenTelemetry's instrumentations patch these through Node's module loader, so they must be
  // loaded by it for spans to exist (tracing.e2e-spec.ts).
  'pg',
  'ioredis',
  '@redis/client',
  // Measured both ways: bundled, TypeORM made start-up slower and idle memory larger (its index
  // evaluates every driver either way), and its error classes lose their names (QueryFailedError2).
  'typeorm',
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
  // @nestjs/mapped-types' fallback for class-transformer before 0.5, reached only if the bundled
  // `class-transformer/cjs/storage` were missing (see libraryAdjustments).
  'class-transformer/storage',
  // Optional peers that Nest and pg import only when used; not installed.
  '@nestjs/microservices',
  '@nestjs/websockets',
  '@nestjs/platform-express',
  '@fastify/view',
  '@fastify/multipart',
  'pg-native',
];

/**
 * Source with each non-ASCII UTF-16 unit written `\uXXXX`. esbuild escapes strings and templates
 * itself but prints regular expressions as written (validator's locale patterns, ansis' ANSI
 * pattern), and one non-ASCII character makes V8 hold the whole bundle's source two bytes a
 * character: 7 MB more resident. The escape means the same unit in a string, a template's value,
 * an identifier, and any regular expression, `u` flag or not (a surrogate pair, escaped, is still
 * one code point there); only a tagged template's raw text would change.
 */
const NON_ASCII = /[^\0-\x7f]/g;
const asciiOnly = (source) => source.replace(NON_ASCII, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A module's code and its closing `//# sourceMappingURL=` comment ('' when it has none). */
function splitSourceMapComment(source) {
  const comment = /\/\/# sourceMappingURL=\S+\s*$/.exec(source);
  return comment ? { code: source.slice(0, comment.index), mapComment: comment[0] } : { code: source, mapComment: '' };
}

/**
 * The classes a module (tsc's output, CommonJS or ESM) declares at top level — `class X`,
 * `export class X`, or tsc's decorated `let X = [X_1 =] class X` — and one
 * `Object.defineProperty(X, 'name', …)` each, to append to it: run once, as the module loads.
 */
function classNamesRestored(source) {
  const classes = [...source.matchAll(/^(?:export )?(?:class (\w+)|let (\w+) = (?:\w+ = )?class\b)/gm)].map(
    ([, plain, decorated]) => plain ?? decorated,
  );
  const statements = classes.map((name) => `Object.defineProperty(${name}, "name", { value: "${name}", configurable: true });\n`).join('');
  return { classes, statements };
}

/**
 * Gives each of our modules (dist/) its classes' names back (classNamesRestored). That runs after the
 * module's static initialisers, so the build stops if one reads its class's name. Our modules are
 * written in ASCII too (asciiOnly).
 */
const restoreOurClassNames = {
  name: 'restore-our-class-names',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist)) return undefined;
      const source = asciiOnly(readFileSync(args.path, 'utf8'));
      const { classes, statements } = classNamesRestored(source);
      for (const name of classes) {
        if (new RegExp(`^\\s+static [^\\n]*\\b${name}(_1)?\\.name\\b`, 'm').test(source)) {
          throw new Error(
            `${args.path}: a static initialiser of ${name} reads ${name}.name, which is not yet restored then; read it on use`,
          );
        }
      }
      // Before the source map comment, which esbuild reads to map the bundle back to src/.
      const { code, mapComment } = splitSourceMapComment(source);
      return { contents: `${code}${statements}${mapComment}`, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * What the bundle changes in libraries' code as it reads it, each file at most once:
 * - Every library is mapped to the JavaScript it ships. Some ship maps to sources they do not
 *   (TypeORM's point at `../../../src/…`, which from node_modules lands in our own src/).
 * - @nestjs/mapped-types (ESM) reaches class-validator and class-transformer through
 *   `createRequire(import.meta.url)`, which at run time would load a second copy of each from
 *   node_modules beside the bundled one: PartialType would copy @Transform metadata into a store no
 *   one reads. Without that line its `require('class-transformer/cjs/storage')` is bundled, and is
 *   the copy the rest of the application uses.
 * - Nest's classes get their names back as ours do (classNamesRestored): its log lines are
 *   named after them (`InstanceLoader`, not esbuild's `_InstanceLoader`), and so are its errors.
 * - Non-ASCII characters are written as `\uXXXX` (see asciiOnly).
 */
const libraryAdjustments = {
  name: 'library-adjustments',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.[cm]?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      let contents = splitSourceMapComment(source).code;
      if (/[\\/]@nestjs[\\/]mapped-types[\\/]/.test(args.path) && contents.includes('createRequire')) {
        const localRequire = /^const require = createRequire\(import\.meta\.url\);$/m;
        if (!localRequire.test(contents)) throw new Error(`${args.path}: its createRequire is not the line this build removes`);
        contents = contents.replace(localRequire, '');
      }
      if (/[\\/]node_modules[\\/]@nestjs[\\/]/.test(args.path)) contents += classNamesRestored(contents).statements;
      contents = asciiOnly(contents);
      return contents === source ? undefined : { contents, loader: 'js', resolveDir: dirname(args.path) };
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
  plugins: [restoreOurClassNames, libraryAdjustments],
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' },
});
for (const name of entries) {
  const output = readFileSync(`${staging}${name}.js`, 'utf8');
  const nonAscii = output.search(NON_ASCII);
  if (nonAscii !== -1) {
    const around = output.slice(nonAscii, nonAscii + 40);
    throw new Error(`dist/${name}.js would hold non-ASCII source (V8 would keep it all as two-byte): "${around}"; see asciiOnly`);
  }
  renameSync(`${staging}${name}.js`, `${dist}${name}.js`);
  // The map's sources are relative to where it was written; it moves one directory up.
  const map = JSON.parse(readFileSync(`${staging}${name}.js.map`, 'utf8'));
  map.sources = map.sources.map((source) => relative(dist, resolve(staging, source)));
  writeFileSync(`${dist}${name}.js.map`, JSON.stringify(map));
}
rmSync(staging, { recursive: true, force: true });
