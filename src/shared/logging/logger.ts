import type { LoggerService } from '@nestjs/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import pino, { DestinationStream, Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { Environment } from '../config/environment';

/** The id of the request being served, for every log line written while serving it. */
export const requestContext = new AsyncLocalStorage<string>();

/** Where log lines go: standard output, or (in tests) any stream that says whether it is a terminal. */
export type LogOutput = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * JSON lines for machines (a pipe, a file, a container's log collector), readable lines for a
 * person: `pretty` only when the output is a terminal, outside production (a production process
 * on a TTY — `docker run -t`, `kubectl run -it` — still speaks JSON to whatever collects it), and
 * when pino-pretty is installed (it is a devDependency: the production image has none).
 */
export function logFormat(nodeEnv: Environment['nodeEnv'], output: LogOutput, prettyInstalled = isPrettyInstalled()): 'pretty' | 'json' {
  return output.isTTY === true && nodeEnv !== 'production' && prettyInstalled ? 'pretty' : 'json';
}

const requireOptional = createRequire(__filename);

function isPrettyInstalled(): boolean {
  try {
    requireOptional.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** pino-pretty in this thread, synchronous, so no line is lost when the process exits right after writing it. */
function prettyStream(output: LogOutput): DestinationStream {
  const pretty = requireOptional('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination: output,
    sync: true, // colours as the terminal allows (NO_COLOR, FORCE_COLOR honoured)
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
    singleLine: true,
  });
}

/**
 * What every line says about where it was written: the request (`requestId`) and, when tracing is
 * on and a span is active, the trace (`trace_id`, `span_id`) to find it by in the trace viewer.
 * Without the SDK `getActiveSpan()` is the API's no-op, and this runs only for lines written.
 */
function lineContext(): { requestId?: string; trace_id?: string; span_id?: string } {
  const requestId = requestContext.getStore();
  const span = trace.getActiveSpan()?.spanContext();
  const traced = span !== undefined && isSpanContextValid(span);
  if (requestId === undefined) return traced ? { trace_id: span.traceId, span_id: span.spanId } : {};
  return traced ? { requestId, trace_id: span.traceId, span_id: span.spanId } : { requestId };
}

/** One pino logger per process; lines written during a request carry its `requestId`. */
export function createRootLogger(env: Pick<Environment, 'logLevel' | 'nodeEnv'>, output: LogOutput = process.stdout): Logger {
  const options = {
    level: env.logLevel,
    base: { pid: process.pid },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'refreshToken', '*.refreshToken'], censor: '[redacted]' },
    mixin: lineContext,
  };
  if (logFormat(env.nodeEnv, output) === 'pretty') return pino(options, prettyStream(output));
  // Standard output keeps pino's own fast destination (sonic-boom on fd 1).
  return output === process.stdout ? pino(options) : pino(options, output);
}

/** Nest's logger interface over pino, so framework and application lines share one format. */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.write('info', message, context);
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, ...(trace && { trace }) }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.write('fatal', message, context);
  }

  private write(level: 'info' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string) {
    if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context }, String(message));
  }
}
