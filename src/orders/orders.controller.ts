import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/access-tokens';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { ClaimedIdempotencyKey, IdempotencyClaim } from '../shared/idempotency/idempotency-claim';
import { Idempotent } from '../shared/idempotency/idempotent.decorator';
import { Role } from '../users/entities/user.entity';
import { CreateOrderDto, OrderListQuery, OrderPage, OrderResponse } from './dto/order.dto';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @Idempotent()
  @ApiCreatedResponse({ type: OrderResponse })
  create(
    @CurrentUser() caller: Principal,
    @Body() body: CreateOrderDto,
    @ClaimedIdempotencyKey() idempotency: IdempotencyClaim | undefined,
  ): Promise<OrderResponse> {
    return this.orders.create(caller, body, idempotency);
  }

  @Get()
  @ApiOkResponse({ type: OrderPage })
  list(@CurrentUser() caller: Principal, @Query() query: OrderListQuery): Promise<OrderPage> {
    return this.orders.list(caller, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderResponse })
  get(@CurrentUser() caller: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<OrderResponse> {
    return this.orders.get(caller, id);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OrderResponse })
  cancel(@CurrentUser() caller: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<OrderResponse> {
    return this.orders.cancel(caller, id);
  }

  @Post(':id/ship')
  @Roles(Role.Admin)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OrderResponse })
  ship(@CurrentUser() caller: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<OrderResponse> {
    return this.orders.ship(caller, id);
  }
}
