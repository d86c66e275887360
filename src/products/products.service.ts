import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Principal } from '../auth/access-tokens';
import { VersionedCache } from '../shared/cache/versioned-cache';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { isUniqueViolation } from '../shared/database/postgres-errors';
import { decodeCursor, toPage } from '../shared/http/pagination';
import { Role } from '../users/entities/user.entity';
import { CreateProductDto, ProductListQuery, ProductPage, ProductResponse, UpdateProductDto } from './dto/product.dto';
import { Product } from './entities/product.entity';
import { productCacheKeys } from './product-cache-keys';

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

@Injectable()
export class ProductsService {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly cache: VersionedCache,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  async create(dto: CreateProductDto): Promise<ProductResponse> {
    try {
      const product = await this.products.save(
        this.products.create({ ...dto, description: dto.description ?? '', currency: this.env.storeCurrency, active: true }),
      );
      await this.invalidate([]);
      return ProductResponse.of(product);
    } catch (error) {
      if (isUniqueViolation(error, 'products_sku_unique')) throw new ConflictException(`A product with sku ${dto.sku} exists.`);
      throw error;
    }
  }

  async update(id: string, dto: UpdateProductDto): Promise<ProductResponse> {
    try {
      const result = await this.products.update({ id }, dto);
      if (result.affected === 0) throw new NotFoundException('No such product.');
    } catch (error) {
      if (isUniqueViolation(error, 'products_sku_unique')) throw new ConflictException(`A product with sku ${dto.sku} exists.`);
      throw error;
    }
    await this.invalidate([id]);
    return ProductResponse.of(await this.products.findOneByOrFail({ id }));
  }

  /** Soft delete: hidden from the catalogue, kept for the orders that reference it. */
  async deactivate(id: string): Promise<void> {
    const result = await this.products.update({ id }, { active: false });
    if (result.affected === 0) throw new NotFoundException('No such product.');
    await this.invalidate([id]);
  }

  async get(caller: Principal | undefined, id: string): Promise<ProductResponse> {
    const product = await this.products.findOneBy({ id });
    if (!product || (!product.active && caller?.role !== Role.Admin)) throw new NotFoundException('No such product.');
    return ProductResponse.of(product);
  }

  async list(query: ProductListQuery): Promise<ProductPage> {
    const after = decodeCursor(query.cursor);
    const builder = this.products
      .createQueryBuilder('product')
      .where('product.active')
      .orderBy('product.createdAt', 'DESC')
      .addOrderBy('product.id', 'DESC')
      .take(query.limit + 1);
    if (query.q) builder.andWhere(`lower(product.name) LIKE :pattern ESCAPE '\\'`, { pattern: `%${escapeLike(query.q.toLowerCase())}%` });
    if (after) builder.andWhere('(product.createdAt, product.id) < (:createdAt, :id)', after);
    return toPage(await builder.getMany(), query.limit, ProductResponse.of);
  }

  /** After any committed change to products (stock included): cached reads of them and of lists become stale. */
  async invalidate(productIds: string[]): Promise<void> {
    await this.cache.invalidate(...productIds.map(productCacheKeys.itemVersion), productCacheKeys.listVersion);
  }
}
