import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { ExclusiveRunner } from '../shared/locks/exclusive-runner';
import { OrdersService } from './orders.service';

/** Every ORDER_SWEEP_INTERVAL_MS, one API process (whichever takes the lock) expires unpaid orders. */
@Injectable()
export class OrderExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderExpirySweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;

  constructor(
    private readonly orders: OrdersService,
    private readonly exclusive: ExclusiveRunner,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.env.orderSweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = this.exclusive
      .run('orders:expiry-sweep', Math.max(this.env.orderSweepIntervalMs, 10_000), async () => {
        while ((await this.orders.expireUnpaidOrders()) === 500);
      })
      .catch((error: Error) => this.logger.warn(`Expiry sweep failed, next tick retries: ${error.message}`))
      .finally(() => (this.sweeping = undefined));
    await this.sweeping;
  }
}
