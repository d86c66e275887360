import { ArgumentMetadata, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import type { ValidatorOptions } from 'class-validator';
import { FieldError, ValidationFailedException } from './problem-details.filter';
import { findUnstorableInput } from './storable-input';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Where `@ApiProperty()` keeps a property's documented schema (`DECORATORS.API_MODEL_PROPERTIES`, not exported). */
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';

/** A DTO property may be `null` only when it says so in the contract: `@ApiProperty({ nullable: true })`. */
function isNullable(target: object, property: string): boolean {
  const documented = Reflect.getMetadata(API_MODEL_PROPERTIES, target, property) as { nullable?: boolean } | undefined;
  return documented?.nullable === true;
}

/**
 * `null` for each DTO property (nested DTOs included) that cannot be null. class-validator's
 * `@IsOptional()` skips `null` as well as absence; here optional means "may be absent", never
 * "may be null", so `{"name": null}` is refused instead of reaching a NOT NULL column.
 */
function findForbiddenNulls(entity: unknown, parent = ''): ValidationError[] {
  if (entity === null || typeof entity !== 'object') return [];
  if (Array.isArray(entity))
    return entity.flatMap((item, index) => findForbiddenNulls(item, parent ? `${parent}.${index}` : String(index)));
  const prototype = Object.getPrototypeOf(entity) as object | null;
  if (prototype === null || prototype === Object.prototype) return [];
  return Object.entries(entity).flatMap(([property, value]): ValidationError[] => {
    const field = parent ? `${parent}.${property}` : property;
    if (value === null) {
      return isNullable(prototype, property)
        ? []
        : [{ property: field, constraints: { isNotNull: `${field} must not be null` }, children: [] }];
    }
    return findForbiddenNulls(value, field);
  });
}

/** class-validator DTOs, with `null` refused wherever the contract does not allow it. */
class DtoValidationPipe extends ValidationPipe {
  /** Whether class-validator has a DTO to check here; if not, {@link answerWithoutDto} is ValidationPipe's whole answer. */
  hasDto(metadata: ArgumentMetadata): boolean {
    return metadata.metatype !== undefined && this.toValidate(metadata);
  }

  answerWithoutDto(value: unknown, metadata: ArgumentMetadata): unknown {
    return this.transformPrimitive(value, metadata);
  }

  protected override async validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> {
    const nulls = findForbiddenNulls(object);
    const errors = await super.validate(object, validatorOptions);
    const refused = new Set(nulls.map((error) => error.property.split('.')[0]));
    return [...nulls, ...errors.filter((error) => !refused.has(error.property))];
  }
}

/**
 * The global pipe: class-validator DTOs, plus the rules that hold for every field of every route
 * so no DTO has to remember them — text PostgreSQL can store (no NUL, no lone surrogate), bounded
 * nesting, and no `null` where the contract does not allow it. Each is a 400 problem+json.
 *
 * It runs for every parameter of every request, so what has no DTO (a path id, the caller) is
 * answered synchronously: no promise, which on the hot reads costs more than the check itself.
 */
export class InputValidationPipe implements PipeTransform {
  constructor(private readonly dtos: DtoValidationPipe) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const unstorable = findUnstorableInput(value, metadata.type === 'body' ? '' : (metadata.data ?? ''));
      if (unstorable.length > 0) throw new ValidationFailedException(unstorable);
    }
    return this.dtos.hasDto(metadata) ? this.dtos.transform(value, metadata) : this.dtos.answerWithoutDto(value, metadata);
  }
}

/** Unknown fields are errors (not silently dropped), so a client never believes it set `role`. */
export function createValidationPipe(): InputValidationPipe {
  return new InputValidationPipe(
    new DtoValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationFailedException(flatten(errors)),
    }),
  );
}
