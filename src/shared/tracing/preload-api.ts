// The first import of src/main.ts: tracing (when configured) must start before any module it patches loads.
import { startTracingIfConfigured } from './start-if-configured';

startTracingIfConfigured('orderly-api');
