import { SetMetadata } from '@nestjs/common';
import { Role } from '../../users/entities/user.entity';

export const REQUIRED_ROLES = 'orderly:roles';

/** The caller must hold one of these roles; otherwise 403. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);
