import { ArgumentMetadata, BadRequestException, Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The path parameter `name` if it is a UUID (any version, as `ParseUUIDPipe` takes), else a 400. */
export function uuidParam(value: unknown, name: string): string {
  if (typeof value === 'string' && UUID.test(value)) return value;
  throw new BadRequestException(`The ${name} in the path must be a UUID.`);
}

/** `uuidParam` as a pipe, answered without `ParseUUIDPipe`'s promise: it runs on every read by id. */
class UuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, { data }: ArgumentMetadata): string {
    return uuidParam(value, data ?? 'id');
  }
}

const uuidPipe = new UuidPipe();

/** Documents the path parameter `name` as what `uuidParam` takes. */
export const ApiIdParam = (name = 'id'): MethodDecorator =>
  ApiParam({ name, required: true, schema: { type: 'string', format: 'uuid', maxLength: 36 } });

/**
 * A UUID path parameter: anything else is a 400, and it is documented as `format: uuid` by the
 * same decorator, so the document cannot say less than the server enforces.
 */
export const IdParam =
  (name = 'id'): ParameterDecorator =>
  (target, key, index) => {
    Param(name, uuidPipe)(target, key, index);
    if (key === undefined) return;
    ApiIdParam(name)(target, key, Object.getOwnPropertyDescriptor(target, key)!);
  };
