import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { isDependencyFault } from '../database/dependency-faults';
import { TooManyRequestsException } from './too-many-requests.exception';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/** Thrown by the validation pipe; carries the per-field messages into the problem body. */
export class ValidationFailedException extends HttpException {
  constructor(readonly errors: FieldError[]) {
    super('The request is invalid.', HttpStatus.BAD_REQUEST);
  }
}

/** Fastify's own client errors (malformed JSON, body too large, bad content type) carry a 4xx `statusCode`. */
function isFastifyClientError(error: unknown): error is Error & { statusCode: number } {
  const status = (error as { statusCode?: unknown })?.statusCode;
  return error instanceof Error && typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * The bounds the OpenAPI `Problem` schema documents (api-responses.ts), enforced here, where every
 * problem body is made: text is counted in code points (as JSON Schema's `maxLength` counts) and
 * cut with `…`; beyond `PROBLEM_LIMITS.errors` field errors the rest are dropped. A client may rely on them.
 */
export const PROBLEM_LIMITS = { detail: 1000, errors: 50, field: 200, message: 500 } as const;

/** `text` with at most `max` code points; a cut one ends in `…`. Never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text; // UTF-16 length bounds the code point count
  const codePoints = Array.from(text);
  return codePoints.length <= max ? text : `${codePoints.slice(0, max - 1).join('')}…`;
}

export function problem(status: number, detail: string, errors?: FieldError[]): ProblemDetails {
  return {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: truncate(detail, PROBLEM_LIMITS.detail),
    ...(errors && {
      errors: errors.slice(0, PROBLEM_LIMITS.errors).map(({ field, message }) => ({
        field: truncate(field, PROBLEM_LIMITS.field),
        message: truncate(message, PROBLEM_LIMITS.message),
      })),
    }),
  };
}

/** Seconds a client waits before retrying a request refused for a dependency fault (or any other 503). */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

/**
 * The one place an error becomes an HTTP response: RFC 9457 problem+json, never a stack trace or
 * SQL. A dependency fault (PostgreSQL or Redis dropped or refused a connection) is a 503 with
 * `Retry-After`: the client may retry, with the same Idempotency-Key. Anything else that is not a
 * deliberate HTTP error is a bug: logged (the line carries the request id) and answered with a bare 500.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toProblem(exception);
    if (exception instanceof TooManyRequestsException) {
      void reply.header('retry-after', String(Math.max(1, Math.ceil(exception.retryAfterSeconds))));
    }
    if (body.status === HttpStatus.SERVICE_UNAVAILABLE && !reply.hasHeader('retry-after')) {
      void reply.header('retry-after', String(DEPENDENCY_RETRY_AFTER_SECONDS));
    }
    void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof ValidationFailedException) {
      return problem(HttpStatus.BAD_REQUEST, exception.message, exception.errors);
    }
    if (exception instanceof HttpException) {
      return problem(exception.getStatus(), this.detailOf(exception));
    }
    if (isFastifyClientError(exception)) {
      return problem(exception.statusCode, exception.message);
    }
    if (isDependencyFault(exception)) {
      this.logger.warn(`Answered 503, a dependency failed: ${(exception as Error).message}`);
      return problem(HttpStatus.SERVICE_UNAVAILABLE, 'A service this request needs is unavailable; retry shortly.');
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return problem(HttpStatus.INTERNAL_SERVER_ERROR, 'An unexpected error occurred.');
  }

  private detailOf(exception: HttpException): string {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (Array.isArray(message)) return message.join('; ');
    return typeof message === 'string' ? message : exception.message;
  }
}
