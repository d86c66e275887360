import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { problem } from '../shared/http/problem-details.filter';
import { bullPrefix } from '../shared/queue/bullmq-relay';
import { QUEUES, QueueName } from '../shared/queue/job-registry';
import { DASHBOARD_PATH, SIGN_OUT_PATH } from './admin-pages';

interface Board {
  server: FastifyInstance;
  queues: Queue[];
}

/**
 * Bull Board, built on first use rather than at start-up: its UI assets, templating and queue
 * connections cost every API process memory and Redis connections that most never use. Fastify
 * takes no routes once listening, so the board lives on a private Fastify instance, and the
 * already-authorised request is handed to it whole (`AdminRoutes` checks who may come this far).
 */
@Injectable()
export class QueueDashboard implements OnApplicationShutdown {
  private board: Promise<Board> | undefined;

  constructor(@Inject(ENVIRONMENT) private readonly env: Environment) {}

  async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Concurrent first requests share one build; a failed build is retried by the next request.
    this.board ??= this.build(request.server.initialConfig.bodyLimit).catch((error: unknown) => {
      this.board = undefined;
      throw error;
    });
    const { server } = await this.board;
    // Headers set so far (the request id, no-store) would be lost with Fastify's reply.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
    reply.hijack();
    server.routing(request.raw, reply.raw);
  }

  async onApplicationShutdown(): Promise<void> {
    const board = await this.board?.catch(() => undefined);
    if (!board) return;
    await board.server.close();
    await Promise.all(board.queues.map((queue) => queue.close()));
  }

  private async build(bodyLimit: number | undefined): Promise<Board> {
    const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
      import('@bull-board/api'),
      import('@bull-board/api/bullMQAdapter'),
      import('@bull-board/fastify'),
    ]);
    const queues = (Object.keys(QUEUES) as QueueName[]).map((name) => {
      const queue = new Queue(name, {
        connection: { url: this.env.redisUrl, maxRetriesPerRequest: 1 } as never,
        prefix: bullPrefix(this.env),
      });
      queue.on('error', () => undefined);
      return queue;
    });
    const adapter = new FastifyAdapter().setBasePath(DASHBOARD_PATH);
    createBullBoard({
      queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: false })),
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'Orderly queues', miscLinks: [{ text: 'Sign out', url: SIGN_OUT_PATH }] } },
    });
    // The API's body limit still holds: the API's own parsers never read these bodies.
    const server = Fastify({ bodyLimit });
    server.setNotFoundHandler((_request, reply) =>
      reply.status(404).header('content-type', 'application/problem+json').send(problem(404, 'No such page of the queue dashboard.')),
    );
    await server.register(adapter.registerPlugin(), { prefix: DASHBOARD_PATH });
    await server.ready();
    return { server, queues };
  }
}
