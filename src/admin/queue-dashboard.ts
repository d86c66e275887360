import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { AccessTokens } from '../auth/access-tokens';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { problem } from '../shared/http/problem-details.filter';
import { bullPrefix } from '../shared/queue/bullmq-relay';
import { QUEUES, QueueName } from '../shared/queue/job-registry';
import { Role } from '../users/entities/user.entity';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board at /admin/queues (only with REDIS_URL: embedded jobs have no queue to show). It is a
 * Fastify plugin outside Nest's router, so it gets its own admin check: a bearer access token with
 * the admin role, as for every other admin route.
 */
@Injectable()
export class QueueDashboard implements OnModuleInit, OnApplicationShutdown {
  private readonly queues: Queue[];

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tokens: AccessTokens,
    @Inject(ENVIRONMENT) env: Environment,
  ) {
    this.queues = (Object.keys(QUEUES) as QueueName[]).map(
      (name) => new Queue(name, { connection: { url: env.redisUrl, maxRetriesPerRequest: 1 } as never, prefix: bullPrefix(env) }),
    );
    for (const queue of this.queues) queue.on('error', () => undefined);
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const board = new FastifyAdapter().setBasePath(DASHBOARD_PATH);
    createBullBoard({ queues: this.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })), serverAdapter: board });
    // Not awaited: awaiting would boot Fastify's plugin tree early, before Nest installs its error handler.
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const header = request.headers.authorization;
        const principal = header?.startsWith('Bearer ') ? this.tokens.principalOf(header.slice(7)) : null;
        if (principal?.role === Role.Admin) return;
        const status = principal ? 403 : 401;
        return reply
          .status(status)
          .header('content-type', 'application/problem+json')
          .send(problem(status, status === 401 ? 'An admin bearer token is required.' : 'Admins only.'));
      });
      await scope.register(board.registerPlugin(), { prefix: DASHBOARD_PATH });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.close()));
  }
}
