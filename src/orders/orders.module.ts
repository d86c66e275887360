import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PaymentLedgerModule } from '../payments/ledger/payment-ledger.module';
import { ProductsModule } from '../products/products.module';
import { OrderItem } from './entities/order-item.entity';
import { Order } from './entities/order.entity';
import { OrderExpirySweeper } from './order-expiry.sweeper';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';

@Module({
  imports: [TypeOrmModule.forFeature([Order, OrderItem]), ProductsModule, PaymentLedgerModule],
  controllers: [OrdersController],
  providers: [OrdersService, OrderExpirySweeper],
  exports: [OrdersService],
})
export class OrdersModule {}
