import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { Public } from '../shared/http/public.decorator';
import { REDIS } from '../shared/redis/redis.module';
import { ShutdownState } from './shutdown-state';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  /** The process is up; it never checks dependencies, so a database outage does not restart pods. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    if (this.shutdown.draining) throw new ServiceUnavailableException('Shutting down.');
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1_000 }),
      ...(this.redis ? [() => this.redisCheck(this.redis!)] : []),
    ]);
  }

  private async redisCheck(redis: Redis) {
    const indicator = this.indicators.check('redis');
    try {
      await redis.ping();
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
