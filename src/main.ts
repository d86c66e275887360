import './shared/tracing/preload-api';
import { Logger } from '@nestjs/common';
import { AppModule } from './app.module';
import { loadEnvironmentOrExit } from './shared/config/load-environment-or-exit';
import { describeEmbeddedParts } from './shared/config/runtime-summary';
import { createHttpApp } from './shared/http/create-http-app';
import { OutboxRelay } from './shared/queue/outbox-relay';
import { closeConnectionsWhen, closeHttpServer, closeOnSignals } from './shared/lifecycle/graceful-shutdown';
import { ShutdownState } from './health/shutdown-state';

async function bootstrap(): Promise<void> {
  const env = loadEnvironmentOrExit();
  const app = await createHttpApp(AppModule.register(env), env);
  const shutdown = app.get(ShutdownState);
  closeConnectionsWhen(app, () => shutdown.draining);
  closeOnSignals(app, {
    // Fail readiness first and keep serving while the load balancer takes this pod out of rotation;
    // then drain HTTP while the pools, Redis and the outbox relay are all still open. The relay is
    // stopped next, by hand: Nest closes the database pool before it, and its last pass hands over
    // the mail of the last requests served.
    beforeClose: async () => {
      shutdown.draining = true;
      await new Promise((resolve) => setTimeout(resolve, env.shutdownDrainMs));
      await closeHttpServer(app);
      await app.get(OutboxRelay).onApplicationShutdown();
    },
    timeoutMs: env.shutdownDrainMs + 30_000,
  });
  await app.listen({ port: env.port, host: env.host });
  const logger = new Logger('Orderly');
  logger.log(describeEmbeddedParts(env));
  logger.log(`API listening on ${await app.getUrl()} (docs at /docs)`);
}

void bootstrap();
