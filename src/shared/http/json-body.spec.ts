// The check Nest's router makes of every handler result before sending it (RouterExecutionContext.pickStreamingBody).
import { isPlainObject } from '@nestjs/common/utils/shared.utils';
import { describe, expect, it, vi } from 'vitest';
import { JsonBody } from './json-body';

describe('JsonBody', () => {
  it('carries JSON text and the strong ETag of the version it was built from', () => {
    const body = JsonBody.of({ id: 'a', stock: 3 }, 7);
    expect(body.text).toBe('{"id":"a","stock":3}');
    expect(body.entityTag).toBe('"7"');
    expect(JsonBody.of([]).entityTag).toBeUndefined();
  });

  it('serialises as the value it holds, never as the wrapper, wherever something else stringifies it', () => {
    const body = new JsonBody<{ id: string }>('{"id":"a"}', '"1"');
    expect(JSON.stringify({ replay: body })).toBe('{"replay":{"id":"a"}}');
  });

  it('is "not a plain object" to Nest without stringifying its class on every response', () => {
    const body = new JsonBody('{}');
    const sourceText = vi.spyOn(Function.prototype, 'toString');
    try {
      expect(isPlainObject(body)).toBe(false);
      expect(sourceText).not.toHaveBeenCalled();
    } finally {
      sourceText.mockRestore();
    }
    expect(body).toBeInstanceOf(JsonBody);
  });
});
