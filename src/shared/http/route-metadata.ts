import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

/**
 * A route's metadata under one key — the handler's, else its controller's, as
 * `Reflector.getAllAndOverride` reads it — looked up once per route. Decorators are fixed before
 * the first request, and every reflect-metadata read walks the prototype chain: the two global
 * guards spent ~0.7 µs of each cached read on it (BENCHMARKS.md, the Node 24 profile).
 */
export class RouteMetadata<T> {
  // Keyed by handler, then controller: a handler inherited by two controllers can have two answers.
  private readonly known = new WeakMap<object, WeakMap<object, T | undefined>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly key: string,
  ) {}

  of(context: ExecutionContext): T | undefined {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byController = this.known.get(handler);
    if (byController === undefined) this.known.set(handler, (byController = new WeakMap()));
    if (byController.has(controller)) return byController.get(controller);
    const value = this.reflector.getAllAndOverride<T | undefined>(this.key, [handler, controller]);
    byController.set(controller, value);
    return value;
  }
}
