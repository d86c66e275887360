import FastifyOtelInstrumentation from '@fastify/otel';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RedisInstrumentation } from '@opentelemetry/instrumentation-redis';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BullMQOtel } from 'bullmq-otel';
import { tracingState } from './tracing-state';

/** Probes and scrapes arrive every few seconds and would bury the requests worth reading. */
const UNTRACED_PATHS = /^\/(health|metrics)(\/|\?|$)/;

/**
 * Loaded only when OTEL_EXPORTER_OTLP_ENDPOINT is set (see start-if-configured.ts). NodeSDK reads
 * the standard variables itself: the endpoint, OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf by
 * default, or http/json), OTEL_TRACES_SAMPLER(+_ARG), OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*.
 * Traces only: metrics stay on /metrics (Prometheus) and logs on standard output, so the SDK's
 * metric and log exporters, on by default, are turned off.
 */
export function startTracing(defaultServiceName: string): void {
  const sdk = new NodeSDK({
    serviceName: namedByEnvironment() ? undefined : defaultServiceName,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // The request's server span: it honours an incoming `traceparent` and records no header (no
      // Authorization, no cookie) and no body. Alone, without @opentelemetry/instrumentation-http
      // wrapping the same request a second time: at 10 % sampling that one cost ~25 µs of a ~93 µs
      // cached read (issue 12's overhead figures), and the app makes no outgoing HTTP calls to trace.
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => UNTRACED_PATHS.test(route.url),
        // A span per lifecycle hook would double the spans of a request for little insight.
        instrumentHooks: false,
      }),
      // SQL text only (TypeORM binds every value as a parameter); parameters are never recorded.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
      // Keys and arguments can hold an e-mail, a session or an idempotency key: only the command name is recorded.
      // ioredis carries BullMQ, locks and sessions; node-redis (@redis/client) the request path's cache and limits.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
      new RedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
    ],
  });
  sdk.start();
  tracingState.bullmqTelemetry = new BullMQOtel({ tracerName: 'bullmq' });
  tracingState.stop = () => sdk.shutdown();
}

/** OTEL_SERVICE_NAME, or `service.name` in OTEL_RESOURCE_ATTRIBUTES, names the service instead of the default. */
function namedByEnvironment(): boolean {
  return Boolean(process.env.OTEL_SERVICE_NAME) || /(^|,)\s*service\.name\s*=/.test(process.env.OTEL_RESOURCE_ATTRIBUTES ?? '');
}
