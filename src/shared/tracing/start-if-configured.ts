/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is configured. Loaded before anything else
 * in the process, so the instrumentations patch `http`, `pg` and `ioredis` before the application
 * requires them. Unset, this is the only tracing code that runs: the SDK is never even loaded.
 */
export function startTracingIfConfigured(defaultServiceName: string): void {
  if (!process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return;
  // A synchronous require: an `import()` would resolve after the application had loaded its modules.
  // A plain one, so that the bundler (scripts/bundle.mjs) follows it into the bundle and still runs it only here.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracing } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  startTracing(defaultServiceName);
}
