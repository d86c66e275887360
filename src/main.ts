import { Logger } from '@nestjs/common';
import { AppModule } from './app.module';
import { loadEnvironmentOrExit } from './shared/config/load-environment-or-exit';
import { describeEmbeddedParts } from './shared/config/runtime-summary';
import { createHttpApp } from './shared/http/create-http-app';
import { closeOnSignals } from './shared/lifecycle/graceful-shutdown';
import { ShutdownState } from './health/shutdown-state';

async function bootstrap(): Promise<void> {
  const env = loadEnvironmentOrExit();
  const app = await createHttpApp(AppModule.register(env), env);
  closeOnSignals(app, {
    // Fail readiness first and keep serving while the load balancer takes this pod out of rotation.
    beforeClose: async () => {
      app.get(ShutdownState).draining = true;
      await new Promise((resolve) => setTimeout(resolve, env.shutdownDrainMs));
    },
    timeoutMs: env.shutdownDrainMs + 30_000,
  });
  await app.listen({ port: env.port, host: env.host });
  const logger = new Logger('Orderly');
  logger.log(describeEmbeddedParts(env));
  logger.log(`API listening on ${await app.getUrl()} (docs at /docs)`);
}

void bootstrap();
