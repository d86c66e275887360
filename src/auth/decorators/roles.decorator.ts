import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiAdmin } from '../../shared/http/api-responses';
import { Role } from '../../users/entities/user.entity';

export const REQUIRED_ROLES = 'orderly:roles';

/** The caller must hold one of these roles; otherwise 403 — in the OpenAPI document as well. */
export const Roles = (...roles: Role[]) => applyDecorators(SetMetadata(REQUIRED_ROLES, roles), ApiAdmin());
