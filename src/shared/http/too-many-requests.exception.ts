import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 carrying the seconds after which a retry can succeed; the problem filter sends `Retry-After`. */
export class TooManyRequestsException extends HttpException {
  constructor(
    readonly retryAfterSeconds: number,
    detail = 'Too many requests; retry later.',
  ) {
    super(detail, HttpStatus.TOO_MANY_REQUESTS);
  }
}
