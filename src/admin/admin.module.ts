import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { QueueDashboard } from './queue-dashboard';

@Module({ imports: [AuthModule], providers: [QueueDashboard] })
export class AdminModule {}
