import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaymentLedgerEntry } from '../entities/payment-ledger-entry.entity';
import { PaymentLedger } from './payment-ledger';

/**
 * The ledger alone, without the webhook: the orders domain imports it to record a refund owed when
 * a paid order is cancelled, while payments keeps depending on orders (no cycle).
 */
@Module({
  imports: [TypeOrmModule.forFeature([PaymentLedgerEntry])],
  providers: [PaymentLedger],
  exports: [PaymentLedger],
})
export class PaymentLedgerModule {}
