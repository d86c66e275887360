import { Header } from '@nestjs/common';

/**
 * For routes whose response carries a secret (tokens): no cache — browser, proxy or CDN — may keep
 * it. Responses to a signed-in caller get the same header globally (create-http-app).
 */
export const NoStore = (): MethodDecorator => Header('Cache-Control', 'no-store');
