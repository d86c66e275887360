import { Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';

/**
 * A UUID path parameter: validated by `ParseUUIDPipe` (anything else is a 400) and documented as
 * `format: uuid` by the same decorator, so the document cannot say less than the server enforces.
 */
export const IdParam =
  (name = 'id'): ParameterDecorator =>
  (target, key, index) => {
    Param(name, ParseUUIDPipe)(target, key, index);
    if (key === undefined) return;
    const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
    ApiParam({ name, required: true, schema: { type: 'string', format: 'uuid', maxLength: 36 } })(target, key, descriptor);
  };
