import { Controller, Get, Header, HttpException, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags, SchemaObject } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { ApiProblemResponse } from '../shared/http/api-responses';
import { Public } from '../shared/http/public.decorator';
import { REDIS } from '../shared/redis/redis.module';
import { ShutdownState } from './shutdown-state';

export class LiveResponse {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

const CHECK_STATUS: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['up'] } },
};

/** Terminus' report when every check is up (a failing one is the 503 problem below, not this shape). */
export class ReadyResponse {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
  @ApiProperty({
    type: 'object',
    additionalProperties: CHECK_STATUS,
    description: 'Each check, by name: `database`, and `redis` when configured',
  })
  info: Record<string, { status: 'up' }>;
  @ApiProperty({ type: 'object', additionalProperties: CHECK_STATUS, maxProperties: 0, description: 'Always empty on a 200' })
  error: Record<string, never>;
  @ApiProperty({ type: 'object', additionalProperties: CHECK_STATUS })
  details: Record<string, { status: 'up' }>;
}

/** How long PostgreSQL has to answer the readiness ping before the pod is reported not ready. */
const DATABASE_PING_TIMEOUT_MS = 1_000;

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly dataSource: DataSource,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  /** The process is up; it never checks dependencies, so a database outage does not restart pods. */
  @Get('live')
  @ApiOkResponse({ type: LiveResponse })
  live(): LiveResponse {
    return { status: 'ok' };
  }

  /**
   * Terminus' own refusal is a 503 whose body is its report; every error of this API is
   * problem+json, so a failed check becomes one whose detail names what is down.
   */
  @Get('ready')
  @Header('Cache-Control', 'no-cache, no-store, must-revalidate')
  @ApiOkResponse({ type: ReadyResponse, description: 'PostgreSQL and Redis (if configured) answer' })
  @ApiProblemResponse(503, 'Not ready: a dependency does not answer (the detail names it), or the process is shutting down')
  async ready(): Promise<HealthCheckResult> {
    if (this.shutdown.draining) throw new ServiceUnavailableException('Shutting down.');
    try {
      return await this.health.check([() => this.databaseCheck(), ...(this.redis ? [() => this.redisCheck(this.redis!)] : [])]);
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      const down = Object.keys((error.getResponse() as Partial<HealthCheckResult>).error ?? {});
      throw new ServiceUnavailableException(`Not ready: ${down.length > 0 ? down.join(', ') : 'a dependency'} did not answer.`);
    }
  }

  /**
   * `SELECT 1` on the application's own DataSource. Terminus' TypeOrmHealthIndicator does the same
   * but finds the DataSource by loading `@nestjs/typeorm` by name at run time, which in the bundled
   * build (scripts/bundle.mjs) would load a second copy of it and of Nest beside the bundled one.
   */
  private databaseCheck() {
    return this.probe('database', () => withinMs(DATABASE_PING_TIMEOUT_MS, this.dataSource.query('SELECT 1')));
  }

  private redisCheck(redis: Redis) {
    return this.probe('redis', () => redis.ping());
  }

  /** Up when `ping` answers; down, with what it said, when it throws. */
  private async probe(name: string, ping: () => Promise<unknown>) {
    const indicator = this.indicators.check(name);
    try {
      await ping();
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}

/** `work`, or a rejection once `ms` have passed without its answer. */
async function withinMs<T>(ms: number, work: Promise<T>): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(ms, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`no answer within ${ms} ms`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}
