import { Injectable, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DASHBOARD_PATH, sendPage, SIGN_IN_PATH, SIGN_OUT_PATH, unavailablePage } from './admin-pages';

/**
 * Embedded mode (no `REDIS_URL`): no BullMQ queues to show and no shared store for sessions, so
 * every `/admin` page says why instead of answering 404 — and scripts get the same as problem+json.
 */
@Injectable()
export class DashboardUnavailable implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Not awaited: awaiting would boot Fastify's plugin tree early, before Nest installs its error handler.
    void fastify.register(async (admin) => {
      for (const url of [SIGN_IN_PATH, SIGN_OUT_PATH, DASHBOARD_PATH, `${DASHBOARD_PATH}/*`]) admin.all(url, answer);
    });
  }
}

function answer(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (request.headers.accept?.includes('text/html')) return sendPage(reply, 503, unavailablePage());
  throw new ServiceUnavailableException(
    'The queue dashboard needs REDIS_URL: in embedded mode jobs run in-process, without BullMQ queues.',
  );
}
