import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { captureRawBody } from './capture-raw-body';
import { OrdersModule } from '../orders/orders.module';
import { PaymentLedgerModule } from './ledger/payment-ledger.module';
import { PaymentsController } from './payments.controller';
import { PaymentsService } from './payments.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';

@Module({
  imports: [OrdersModule, PaymentLedgerModule],
  controllers: [PaymentsController],
  providers: [PaymentsService, WebhookSignatureGuard],
})
export class PaymentsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    captureRawBody(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
