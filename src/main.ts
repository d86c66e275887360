import { AppModule } from './app.module';
import { loadEnvironmentOrExit } from './shared/config/load-environment-or-exit';
import { createHttpApp } from './shared/http/create-http-app';

async function bootstrap(): Promise<void> {
  const env = loadEnvironmentOrExit();
  const app = await createHttpApp(AppModule.register(env), env);
  await app.listen({ port: env.port, host: env.host });
}

void bootstrap();
