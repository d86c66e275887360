import { existsSync } from 'node:fs';
import { ConfigurationError, Environment, loadEnvironment } from './environment';

/**
 * Entrypoint helper: reads `.env` if present (variables already set win), validates, and on a
 * bad value exits non-zero with a message naming the variable — before anything else starts.
 */
export function loadEnvironmentOrExit(): Environment {
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    return loadEnvironment(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
