import { PassThrough } from 'node:stream';
import { createRootLogger, LogOutput, logFormat, requestContext } from './logger';

/** A stream that collects what is written to it and claims to be (or not to be) a terminal. */
function output(isTTY: boolean): LogOutput & { text(): string } {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean };
  stream.isTTY = isTTY;
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return Object.assign(stream, { text: () => text });
}

const flush = () => new Promise((done) => setImmediate(done));

describe('log format', () => {
  it('is readable on a terminal and JSON anywhere else', () => {
    expect(logFormat('development', { isTTY: true } as LogOutput, true)).toBe('pretty');
    expect(logFormat('test', { isTTY: true } as LogOutput, true)).toBe('pretty');
    expect(logFormat('development', { isTTY: false } as LogOutput, true)).toBe('json');
    expect(logFormat('development', {} as LogOutput, true)).toBe('json'); // a pipe or a file has no isTTY
  });

  it('stays JSON in production, even on a terminal, and without pino-pretty installed', () => {
    expect(logFormat('production', { isTTY: true } as LogOutput, true)).toBe('json');
    expect(logFormat('development', { isTTY: true } as LogOutput, false)).toBe('json');
  });

  it('writes one JSON object per line when the output is not a terminal', async () => {
    const stream = output(false);
    const logger = createRootLogger({ logLevel: 'info', nodeEnv: 'development' }, stream);
    requestContext.run('request-1', () => logger.info({ password: 'secret', status: 201 }, 'request completed'));
    await flush();
    const line = JSON.parse(stream.text().trim());
    expect(line).toMatchObject({ level: 30, msg: 'request completed', requestId: 'request-1', status: 201, password: '[redacted]' });
  });

  it('writes a line a person can read on a terminal, with the same fields and the same redaction', async () => {
    const stream = output(true);
    const logger = createRootLogger({ logLevel: 'info', nodeEnv: 'development' }, stream);
    requestContext.run('request-2', () => logger.info({ context: 'Orderly', password: 'secret' }, 'API listening'));
    await flush();
    // eslint-disable-next-line no-control-regex
    const text = stream.text().replace(/\x1b\[[\d;]*m/g, '');
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Orderly\] API listening/);
    expect(text).toContain('"requestId":"request-2"');
    expect(text).toContain('"password":"[redacted]"');
    expect(text).not.toContain('secret');
  });
});
