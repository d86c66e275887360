import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import type { Environment } from '../shared/config/environment';
import { UsersModule } from '../users/users.module';
import { AdminRoutes } from './admin-routes';
import { AdminSessions } from './admin-sessions';
import { DashboardUnavailable } from './dashboard-unavailable';
import { QueueDashboard } from './queue-dashboard';

/** `/admin`: the queue dashboard behind its sign-in where BullMQ runs (REDIS_URL), a page saying why not elsewhere. */
@Module({})
export class AdminModule {
  static register(env: Environment): DynamicModule {
    return {
      module: AdminModule,
      imports: env.redisUrl ? [AuthModule, UsersModule] : [],
      providers: env.redisUrl ? [AdminSessions, QueueDashboard, AdminRoutes] : [DashboardUnavailable],
    };
  }
}
