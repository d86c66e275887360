import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
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

export function problem(status: number, detail: string, errors?: FieldError[]): ProblemDetails {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...(errors && { errors }) };
}

/**
 * The one place an error becomes an HTTP response: RFC 9457 problem+json, never a stack trace or
 * SQL. Anything that is not a deliberate HTTP error is logged and answered with a bare 500.
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
