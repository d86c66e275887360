import { Global, Module } from '@nestjs/common';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';
import { CounterStore } from './counter-store';
import { MemoryCounterStore } from './memory-counter-store';
import { RedisCounterStore } from './redis-counter-store';

@Global()
@Module({
  providers: [
    {
      provide: CounterStore,
      inject: [ENVIRONMENT],
      useFactory: async (env: Environment): Promise<CounterStore> => {
        if (!env.redisUrl) return new MemoryCounterStore();
        const store = new RedisCounterStore(env.redisUrl, `${env.redisPrefix}:`);
        await store.connected();
        return store;
      },
    },
  ],
  exports: [CounterStore],
})
export class RateLimitModule {}
