import { Module, RequestMethod } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { ENVIRONMENT } from '../config/config.module';
import type { Environment } from '../config/environment';

/**
 * pino for every log line; pino-http logs each request once on completion, and binds the request
 * id (Fastify's `request.id`, see `createHttpApp`) to every line logged while serving it.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ENVIRONMENT],
      useFactory: (env: Environment) => ({
        forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
        pinoHttp: {
          level: env.logLevel,
          genReqId: (request: IncomingMessage & { id?: string }) => request.id ?? '',
          customAttributeKeys: { reqId: 'requestId' },
          quietReqLogger: true,
          redact: {
            paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-signature"]'],
            censor: '[redacted]',
          },
          serializers: {
            req: (request: { method: string; url: string }) => ({ method: request.method, url: request.url }),
            res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
          },
          autoLogging: { ignore: (request: IncomingMessage) => request.url?.startsWith('/health/') ?? false },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
