import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from './problem-details.filter';

const DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is not valid: a path segment is not a valid percent-encoded UTF-8 component.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment of the URL is too long.',
};

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route, hook or Nest filter runs
 * (a path parameter that is not valid percent-encoded UTF-8, or longer than `maxParamLength`).
 * Without it Fastify answers these itself as plain JSON; with it they are problem+json like every
 * other error (CONTRACT §3). The detail is fixed text: the offending path is not echoed.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
  const detail = (error.code && DETAILS[error.code]) ?? (status >= 500 ? 'An unexpected error occurred.' : 'The request is invalid.');
  void reply
    .status(status)
    .header('x-request-id', request.id)
    .header('content-type', 'application/problem+json')
    .send(problem(status, detail));
}
