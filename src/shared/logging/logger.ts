import type { LoggerService } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { Logger } from 'pino';
import type { Environment } from '../config/environment';

/** The id of the request being served, for every log line written while serving it. */
export const requestContext = new AsyncLocalStorage<string>();

/** One pino logger per process; lines written during a request carry its `requestId`. */
export function createRootLogger(env: Pick<Environment, 'logLevel'>): Logger {
  return pino({
    level: env.logLevel,
    base: { pid: process.pid },
    redact: { paths: ['password', '*.password', 'token', '*.token', 'refreshToken', '*.refreshToken'], censor: '[redacted]' },
    mixin: () => {
      const requestId = requestContext.getStore();
      return requestId === undefined ? {} : { requestId };
    },
  });
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
