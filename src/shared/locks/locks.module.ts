import { Global, Module } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { REDIS } from '../redis/redis.module';
import { ExclusiveRunner } from './exclusive-runner';
import { LocalExclusiveRunner } from './local-exclusive-runner';
import { RedlockExclusiveRunner } from './redlock-exclusive-runner';

@Global()
@Module({
  providers: [
    {
      provide: ExclusiveRunner,
      inject: [REDIS],
      useFactory: (redis: Redis | null) => (redis ? new RedlockExclusiveRunner(redis) : new LocalExclusiveRunner()),
    },
  ],
  exports: [ExclusiveRunner],
})
export class LocksModule {}
