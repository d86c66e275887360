// Aggregates a V8 .cpuprofile's self time by layer (our code, Nest router/pipes/guards/interceptors,
// cache layers, Redis clients, logging, metrics, async context, Fastify, JSON, …) and by function.
// `node bench/profile/summarise.mjs file.cpuprofile [requests]` prints µs per request when given a count.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const LAYERS = [
  ['(idle)', (f) => f.functionName === '(idle)'],
  ['(garbage collector)', (f) => f.functionName === '(garbage collector)'],
  ['(program: native, not attributed)', (f) => f.functionName === '(program)'],
  ['Orderly src/ (dist/)', (f) => /\/(dist|src)\//.test(f.url) && !/node_modules\//.test(f.url)],
  ['@nestjs/core router (execution context, handler, response)', (f) => /@nestjs\/core\/router\//.test(f.url)],
  ['@nestjs/core guards/pipes/interceptors', (f) => /@nestjs\/core\/(guards|pipes|interceptors|helpers)\//.test(f.url)],
  ['@nestjs/common (pipes, decorators, utils)', (f) => /@nestjs\/common\//.test(f.url)],
  ['@nestjs/platform-fastify', (f) => /@nestjs\/platform-fastify\//.test(f.url)],
  ['@nestjs/core other', (f) => /@nestjs\/core\//.test(f.url)],
  ['@nestjs/cache-manager + cache-manager', (f) => /cache-manager\//.test(f.url)],
  ['keyv + @keyv/redis', (f) => /\/(keyv|@keyv\/[^/]+)\//.test(f.url) || /\/hookified\//.test(f.url)],
  ['node-redis (@redis/client)', (f) => /@redis\//.test(f.url)],
  ['ioredis', (f) => /\/ioredis\//.test(f.url)],
  ['class-validator / class-transformer', (f) => /class-(validator|transformer)\//.test(f.url)],
  ['pino / nestjs-pino / pino-http', (f) => /\/(pino|pino-http|nestjs-pino|pino-std-serializers|sonic-boom)\//.test(f.url)],
  ['prom-client', (f) => /prom-client\//.test(f.url)],
  ['fast-jwt', (f) => /fast-jwt\//.test(f.url)],
  ['rxjs', (f) => /\/rxjs\//.test(f.url)],
  [
    'fastify + find-my-way + light-my-request',
    (f) => /\/(fastify|find-my-way|@fastify\/[^/]+|avvio|light-my-request|fast-json-stringify)\//.test(f.url),
  ],
  [
    'AsyncLocalStorage / async_hooks / promise hooks',
    (f) => /node:(async_hooks|internal\/async_hooks|internal\/async_local_storage)/.test(f.url) || /async_hooks/.test(f.url),
  ],
  ['JSON.parse / JSON.stringify', (f) => /^(parse|stringify)$/.test(f.functionName) && f.url === ''],
  [
    'Node http / net / streams',
    (f) =>
      /node:(_http|http|net|internal\/(streams|http|net|stream_base|js_stream))/.test(f.url) ||
      /^node:(_http_\w+|events|internal\/timers)/.test(f.url),
  ],
  ['other node: internals', (f) => f.url.startsWith('node:')],
  ['other node_modules', (f) => /node_modules\//.test(f.url)],
  ['native / builtins (no url)', (f) => f.url === ''],
  ['other', () => true],
];

function shortUrl(url) {
  return url.replace(/^file:\/\/.*?\/node_modules\//, '').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/');
}

const sourceMaps = new Map();
/**
 * A frame of a bundle (dist/main.js) as the file and line it was bundled from, through the bundle's
 * source map, so layers and functions are told apart as they were before bundling.
 */
function original(frame) {
  // Libraries' own maps (TypeORM's, loaded from node_modules) point at sources they do not ship.
  if (!/^file:\/\/.*\/dist\//.test(frame.url) || /\/node_modules\//.test(frame.url)) return frame;
  if (!sourceMaps.has(frame.url)) {
    const mapFile = `${fileURLToPath(frame.url)}.map`;
    sourceMaps.set(frame.url, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined);
  }
  const entry = sourceMaps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (!entry?.originalSource) return frame;
  return { ...frame, url: new URL(entry.originalSource, frame.url).href, lineNumber: entry.originalLine };
}

/**
 * `window` ([from, to] in ms after the profile started) keeps only samples taken under load, so
 * start-up (module loading) and shutdown do not count against the requests.
 */
export function summarise(profile, requests, window = [0, Infinity]) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = profile.timeDeltas;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += deltas[i] ?? 0;
    if (at / 1000 < window[0] || at / 1000 > window[1]) continue;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  }
  const layers = new Map();
  const functions = new Map();
  let busy = 0;
  for (const [id, micros] of self) {
    const frame = original(byId.get(id).callFrame);
    const layer = LAYERS.find(([, test]) => test(frame))[0];
    layers.set(layer, (layers.get(layer) ?? 0) + micros);
    if (layer !== '(idle)') busy += micros;
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + micros);
  }
  const per = (micros) => (requests ? `${(micros / requests).toFixed(2)} µs/req` : `${(micros / 1000).toFixed(0)} ms`);
  const pct = (micros) => `${((100 * micros) / busy).toFixed(1)} %`;
  const lines = [`busy ${per(busy)}`, '', '| layer | self time | share of busy |', '| --- | --- | --- |'];
  for (const [layer, micros] of [...layers].sort((a, b) => b[1] - a[1])) {
    if (layer !== '(idle)') lines.push(`| ${layer} | ${per(micros)} | ${pct(micros)} |`);
  }
  lines.push('', '| function | self time | share of busy |', '| --- | --- | --- |');
  for (const [name, micros] of [...functions]
    .filter(([name]) => !name.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)) {
    lines.push(`| \`${name}\` | ${per(micros)} | ${pct(micros)} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  process.stdout.write(summarise(JSON.parse(readFileSync(process.argv[2], 'utf8')), Number(process.argv[3]) || undefined));
}
