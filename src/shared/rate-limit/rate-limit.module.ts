import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '../redis/redis.module';
import { CounterStore } from './counter-store';
import { MemoryCounterStore } from './memory-counter-store';
import { RedisCounterStore } from './redis-counter-store';

@Global()
@Module({
  providers: [
    {
      provide: CounterStore,
      inject: [REDIS],
      useFactory: (redis: Redis | null) => (redis ? new RedisCounterStore(redis) : new MemoryCounterStore()),
    },
  ],
  exports: [CounterStore],
})
export class RateLimitModule {}
