import { CacheTTL } from '@nestjs/cache-manager';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/access-tokens';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { Public } from '../shared/http/public.decorator';
import { Role } from '../users/entities/user.entity';
import { CreateProductDto, ProductListQuery, ProductPage, ProductResponse, UpdateProductDto } from './dto/product.dto';
import { ProductCacheInterceptor } from './product-cache.interceptor';
import { ProductsService } from './products.service';

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Public()
  @Get()
  @UseInterceptors(ProductCacheInterceptor)
  @CacheTTL(30_000)
  @ApiOkResponse({ type: ProductPage })
  list(@Query() query: ProductListQuery): Promise<ProductPage> {
    return this.products.list(query);
  }

  @Public()
  @Get(':id')
  @UseInterceptors(ProductCacheInterceptor)
  @CacheTTL(300_000)
  @ApiOkResponse({ type: ProductResponse })
  get(@CurrentUser() caller: Principal | undefined, @Param('id', ParseUUIDPipe) id: string): Promise<ProductResponse> {
    return this.products.get(caller, id);
  }

  @Post()
  @Roles(Role.Admin)
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: ProductResponse })
  create(@Body() body: CreateProductDto): Promise<ProductResponse> {
    return this.products.create(body);
  }

  @Patch(':id')
  @Roles(Role.Admin)
  @ApiBearerAuth()
  @ApiOkResponse({ type: ProductResponse })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateProductDto): Promise<ProductResponse> {
    return this.products.update(id, body);
  }

  @Delete(':id')
  @Roles(Role.Admin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiNoContentResponse()
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.products.deactivate(id);
  }
}
