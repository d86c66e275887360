import { ConflictException, Inject, Injectable, NotFoundException, PreconditionFailedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import type { Principal } from '../auth/access-tokens';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { isUniqueViolation } from '../shared/database/postgres-errors';
import { versionsAllowedByIfMatch } from '../shared/http/entity-tag';
import { JsonBody } from '../shared/http/json-body';
import { decodeCursor, toPage } from '../shared/http/pagination';
import { Role } from '../users/entities/user.entity';
import { CreateProductDto, ProductListQuery, ProductPage, ProductResponse, UpdateProductDto } from './dto/product.dto';
import { Product } from './entities/product.entity';
import { Audience, CachedProduct, ProductCache } from './product-cache';

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);
const audienceOf = (caller: Principal | undefined): Audience => (caller?.role === Role.Admin ? 'admin' : 'public');
/** A product as answered, tagged with the row version it was read at. */
const answer = (product: Product): CachedProduct => JsonBody.of(ProductResponse.of(product), product.version);

@Injectable()
export class ProductsService {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly cache: ProductCache,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  async create(dto: CreateProductDto): Promise<JsonBody<ProductResponse>> {
    try {
      const product = await this.products.save(
        this.products.create({ ...dto, description: dto.description ?? '', currency: this.env.storeCurrency, active: true }),
      );
      await this.cache.changed(this.products.manager, [product.id], { lists: true });
      return answer(product);
    } catch (error) {
      if (isUniqueViolation(error, 'products_sku_unique')) throw new ConflictException(`A product with sku ${dto.sku} exists.`);
      throw error;
    }
  }

  /**
   * With `ifMatch` (the client's `If-Match`), the product is changed only if it is still at a
   * version the client has seen; otherwise 412 and nothing is written. The version check and the
   * write are one conditional UPDATE, so of two admins sending the same tag at once, one wins.
   */
  async update(id: string, dto: UpdateProductDto, ifMatch?: string): Promise<JsonBody<ProductResponse>> {
    const allowed = ifMatch === undefined ? '*' : versionsAllowedByIfMatch(ifMatch);
    if (Object.keys(dto).length === 0) return this.unchanged(id, allowed);
    try {
      return await this.products.manager.transaction(async (manager) => {
        const builder = manager.createQueryBuilder().update(Product).set(dto).where('id = :id', { id });
        if (allowed !== '*') builder.andWhere('version IN (:...allowed)', { allowed: allowed.length > 0 ? allowed : [-1] });
        const result = await builder.execute();
        if (result.affected === 0) {
          if (await manager.existsBy(Product, { id }))
            throw new PreconditionFailedException('The product changed since the ETag you sent.');
          throw new NotFoundException('No such product.');
        }
        await this.cache.changed(manager, [id], { lists: true });
        const product = await manager.findOneByOrFail(Product, { id });
        return answer(product);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'products_sku_unique')) throw new ConflictException(`A product with sku ${dto.sku} exists.`);
      throw error;
    }
  }

  /** A PATCH with nothing to change writes nothing (and so keeps the version), but still answers its precondition. */
  private async unchanged(id: string, allowed: '*' | number[]): Promise<JsonBody<ProductResponse>> {
    const product = await this.products.findOneBy({ id });
    if (!product) throw new NotFoundException('No such product.');
    if (allowed !== '*' && !allowed.includes(product.version))
      throw new PreconditionFailedException('The product changed since the ETag you sent.');
    return answer(product);
  }

  /** Soft delete: hidden from the catalogue, kept for the orders that reference it. */
  async deactivate(id: string): Promise<void> {
    const result = await this.products.update({ id }, { active: false });
    if (result.affected === 0) throw new NotFoundException('No such product.');
    await this.cache.changed(this.products.manager, [id], { lists: true });
  }

  /** Served from the cache when warm, with the ETag of the row version it was built from. */
  async get(caller: Principal | undefined, id: string): Promise<JsonBody<ProductResponse>> {
    const audience = audienceOf(caller);
    const cached = await this.cache.readItem(id, audience);
    if (cached.value) return cached.value;
    const product = await this.products.findOneBy({ id });
    if (!product) {
      await this.cache.forgetItem(id, cached);
      throw new NotFoundException('No such product.');
    }
    if (!product.active && audience !== 'admin') throw new NotFoundException('No such product.');
    const body = answer(product);
    await this.cache.writeItem(id, audience, cached.version, body);
    return body;
  }

  /**
   * A cached page keeps only its ids; each product's body comes from its own (fresh) cache entry,
   * and only stale ones are read again — in one query — so orders taking stock keep lists warm.
   */
  async list(query: ProductListQuery): Promise<JsonBody<ProductPage>> {
    const cachedPage = await this.cache.readList(query);
    if (cachedPage.value) return this.assemble(cachedPage.value.ids, cachedPage.value.nextCursor);
    this.cache.countListRead(false);
    const after = decodeCursor(query.cursor);
    const builder = this.products
      .createQueryBuilder('product')
      .where('product.active')
      .orderBy('product.createdAt', 'DESC')
      .addOrderBy('product.id', 'DESC')
      .take(query.limit + 1);
    if (query.q) builder.andWhere(`lower(product.name) LIKE :pattern ESCAPE '\\'`, { pattern: `%${escapeLike(query.q.toLowerCase())}%` });
    if (after) builder.andWhere('(product.createdAt, product.id) < (:createdAt, :id)', after);
    const page: ProductPage = toPage(await builder.getMany(), query.limit, ProductResponse.of);
    await this.cache.writeList(query, cachedPage.version, { ids: page.data.map((product) => product.id), nextCursor: page.nextCursor });
    return JsonBody.of(page);
  }

  /** The page's JSON is put together from the items' cached JSON, none of it parsed. */
  private async assemble(ids: string[], nextCursor: string | null): Promise<JsonBody<ProductPage>> {
    const cached = await this.cache.readPublicItems(ids);
    const stale = ids.filter((_id, index) => !cached[index].value);
    this.cache.countListRead(stale.length === 0);
    const reread = new Map<string, Product>();
    if (stale.length > 0) {
      for (const product of await this.products.findBy({ id: In(stale) })) reread.set(product.id, product);
    }
    const items: (string | undefined)[] = await Promise.all(
      ids.map(async (id, index) => {
        const hit = cached[index].value;
        if (hit) return hit.text;
        const product = reread.get(id);
        // Retired between the page being cached and now: the list version moves too, right after.
        if (!product?.active) return undefined;
        const body = answer(product);
        await this.cache.writeItem(id, 'public', cached[index].version, body);
        return body.text;
      }),
    );
    return new JsonBody(`{"data":[${items.filter((item) => item !== undefined).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`);
  }
}
