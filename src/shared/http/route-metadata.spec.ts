import 'reflect-metadata';
import type { ExecutionContext } from '@nestjs/common';
import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it, vi } from 'vitest';
import { RouteMetadata } from './route-metadata';

const KEY = 'test:level';
const routeOf = (controller: object, handler: object) =>
  ({ getClass: () => controller, getHandler: () => handler }) as unknown as ExecutionContext;

class BaseController {
  list(): void {}
  read(): void {}
}
SetMetadata(KEY, 'handler')(BaseController.prototype, 'read', Object.getOwnPropertyDescriptor(BaseController.prototype, 'read')!);
class AdminController extends BaseController {}
SetMetadata(KEY, 'admin')(AdminController);
class OpenController extends BaseController {}

describe('RouteMetadata', () => {
  it("answers as Reflector.getAllAndOverride does: the handler's value, else its controller's", () => {
    const level = new RouteMetadata<string>(new Reflector(), KEY);
    expect(level.of(routeOf(AdminController, BaseController.prototype.read))).toBe('handler');
    expect(level.of(routeOf(AdminController, BaseController.prototype.list))).toBe('admin');
    expect(level.of(routeOf(OpenController, BaseController.prototype.list))).toBeUndefined();
  });

  it('keeps apart two controllers that inherit one handler, whichever is asked first', () => {
    const level = new RouteMetadata<string>(new Reflector(), KEY);
    const inherited = BaseController.prototype.list;
    expect(level.of(routeOf(OpenController, inherited))).toBeUndefined();
    expect(level.of(routeOf(AdminController, inherited))).toBe('admin');
    expect(level.of(routeOf(OpenController, inherited))).toBeUndefined();
  });

  it('reads the metadata once per route, an absent value included', () => {
    const reflector = new Reflector();
    const read = vi.spyOn(reflector, 'getAllAndOverride');
    const level = new RouteMetadata<string>(reflector, KEY);
    for (let request = 0; request < 3; request += 1) {
      level.of(routeOf(AdminController, BaseController.prototype.list));
      level.of(routeOf(OpenController, BaseController.prototype.list));
    }
    expect(read).toHaveBeenCalledTimes(2);
  });
});
