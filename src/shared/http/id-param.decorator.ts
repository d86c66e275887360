import { ArgumentMetadata, BadRequestException, Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `ParseUUIDPipe`'s rule (any UUID version), answered without its promise: it runs on every read by id. */
class UuidPipe implements PipeTransform<unknown, string> {
  transform(value: unknown, { data }: ArgumentMetadata): string {
    if (typeof value === 'string' && UUID.test(value)) return value;
    throw new BadRequestException(`The ${data} in the path must be a UUID.`);
  }
}

const uuidPipe = new UuidPipe();

/**
 * A UUID path parameter: anything else is a 400, and it is documented as `format: uuid` by the
 * same decorator, so the document cannot say less than the server enforces.
 */
export const IdParam =
  (name = 'id'): ParameterDecorator =>
  (target, key, index) => {
    Param(name, uuidPipe)(target, key, index);
    if (key === undefined) return;
    const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
    ApiParam({ name, required: true, schema: { type: 'string', format: 'uuid', maxLength: 36 } })(target, key, descriptor);
  };
