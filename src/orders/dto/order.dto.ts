import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsEnum, IsInt, IsOptional, IsUUID, Max, Min, ValidateNested } from 'class-validator';
import { PageQuery } from '../../shared/http/pagination';
import { Order, OrderStatus } from '../entities/order.entity';

export class OrderLineDto {
  @ApiProperty({ format: 'uuid', maxLength: 36 })
  @IsUUID()
  productId: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 1000 })
  @IsInt()
  @Min(1)
  @Max(1000)
  quantity: number;
}

export class CreateOrderDto {
  @ApiProperty({ type: [OrderLineDto], minItems: 1, maxItems: 50, description: 'Distinct products' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  items: OrderLineDto[];
}

export class OrderListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: OrderStatus })
  @IsOptional()
  @IsEnum(OrderStatus)
  status?: OrderStatus;

  @ApiPropertyOptional({ format: 'uuid', maxLength: 36, description: 'Admins only (403 for a customer naming another user)' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}

export class OrderItemResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) productId: string;
  @ApiProperty({ maxLength: 64 }) sku: string;
  @ApiProperty({ maxLength: 200 }) name: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 100_000_000 }) unitPriceCents: number;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: 1000 }) quantity: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: 100_000_000_000 }) lineTotalCents: number;
}

export class OrderResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id: string;
  @ApiProperty({ format: 'uuid', maxLength: 36 }) userId: string;
  @ApiProperty({ enum: OrderStatus }) status: OrderStatus;
  @ApiProperty({ type: [OrderItemResponse], minItems: 1, maxItems: 50 }) items: OrderItemResponse[];
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: 5_000_000_000_000 }) totalCents: number;
  @ApiProperty({ example: 'USD', pattern: '^[A-Z]{3}$', maxLength: 3 }) currency: string;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30 }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30 }) updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30, nullable: true }) paidAt: string | null;

  static of(order: Order): OrderResponse {
    return {
      id: order.id,
      userId: order.userId,
      status: order.status,
      items: [...order.items]
        .sort((a, b) => a.position - b.position)
        .map((item) => ({
          productId: item.productId,
          sku: item.sku,
          name: item.name,
          unitPriceCents: item.unitPriceCents,
          quantity: item.quantity,
          lineTotalCents: item.lineTotalCents,
        })),
      totalCents: order.totalCents,
      currency: order.currency,
      createdAt: order.createdAt.toISOString(),
      updatedAt: order.updatedAt.toISOString(),
      paidAt: order.paidAt?.toISOString() ?? null,
    };
  }
}

export class OrderPage {
  @ApiProperty({ type: [OrderResponse], maxItems: 100 }) data: OrderResponse[];
  @ApiProperty({ type: String, nullable: true, maxLength: 200 }) nextCursor: string | null;
}
