import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiPublic, ApiSignedBy } from './api-responses';

export const IS_PUBLIC = 'orderly:public';

/**
 * Opts a route out of the global authentication guard; everything else requires a token. The
 * OpenAPI document says the same (anonymous or bearer, no 401), so the two cannot disagree.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiPublic());

/**
 * No user token: the route authenticates its caller another way, with a guard of its own, and is
 * documented under that security scheme (with its 401) instead of the bearer one.
 */
export const SignedBy = (securityScheme: string) => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSignedBy(securityScheme));
