import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { newAccount, uniqueRedisPrefix } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { freePort } from './support/private-redis';
import { apiProcessEnvironment, RunningProcess, startProcess, waitForHttp } from './support/process';
import { TEST_REDIS_URL } from './support/services';
import { SmtpSink } from './support/smtp-sink';
import { startWorker, stopWorker, WorkerProcess } from './support/worker';

const SPAN_KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

/**
 * Preloaded into a process (NODE_OPTIONS=--require): when it exits, writes which tracing packages
 * were ever loaded. Everything on this code path is `require`d (the SDK, the instrumentations and
 * prom-client's `@opentelemetry/api` are CommonJS), so require.cache sees each of them.
 */
const MODULE_PROBE = `
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules\\/((?:@opentelemetry|@fastify)\\/[^/]+|bullmq-otel)\\//.exec(file);
    if (match && (match[1].startsWith('@opentelemetry/') || match[1] === '@fastify/otel' || match[1] === 'bullmq-otel')) names.add(match[1]);
  }
  writeFileSync(process.env.MODULE_PROBE_OUTPUT, JSON.stringify([...names].sort()));
});
`;

const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

const pathOf = (span: ReceivedSpan) => String(span.attributes['url.path'] ?? span.attributes['http.target'] ?? '').split('?')[0];

describe('Traces from the request through the outbox to the SMTP send', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let receiver: OtlpReceiver;
  let api: RunningProcess;
  let apiUrl: string;
  let worker: WorkerProcess | undefined;
  let untraced: { process: RunningProcess; url: string } | undefined;
  const probeDirectory = mkdtempSync(join(tmpdir(), 'orderly-tracing-'));
  const probe = join(probeDirectory, 'module-probe.cjs');
  const redisPrefix = uniqueRedisPrefix();
  const tracing = () => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Exported within a tenth of a second of ending, so the tests wait for spans, not for a timer.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const shared = () => ({ DATABASE_URL: database.url, REDIS_PREFIX: redisPrefix, SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL_MS: '200' });

  const startApi = async (variables: Record<string, string>): Promise<{ process: RunningProcess; url: string }> => {
    const port = await freePort();
    const started = startProcess(
      'dist/main.js',
      apiProcessEnvironment({ ...shared(), PORT: String(port), LOG_LEVEL: 'info', ...variables }),
    );
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 90_000).catch((error: Error) => {
      started.child.kill('SIGKILL');
      throw new Error(`${error.message}\n${started.output()}`);
    });
    return { process: started, url: `http://127.0.0.1:${port}` };
  };

  const post = (path: string, body: unknown, headers: Record<string, string> = {}, baseUrl = apiUrl) =>
    fetch(`${baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  const registerAccount = async (headers: Record<string, string> = {}) => {
    const account = newAccount();
    const response = await post('/auth/register', account, headers);
    expect(response.status).toBe(201);
    const body = (await response.json()) as { accessToken: string; refreshToken: string };
    return { ...account, ...body, requestId: response.headers.get('x-request-id')! };
  };

  /** The worker's SMTP span of the mail `smtp` received for `email` with this subject. */
  const smtpSpanOf = async (email: string, subject: string): Promise<ReceivedSpan> => {
    await smtp.waitFor(() => smtp.to(email).some((mail) => mail.subject.includes(subject)));
    const { messageId } = smtp.to(email).find((mail) => mail.subject.includes(subject))!;
    return receiver.waitFor((spans) =>
      spans.find((span) => span.name === 'smtp send' && span.attributes['orderly.mail.message_id'] === messageId),
    );
  };

  const byId = (spans: ReceivedSpan[], spanId: string) => spans.find((span) => span.spanId === spanId);

  /** From `span` up through its parents, as far as the exported spans of its trace go. */
  const ancestorsOf = (span: ReceivedSpan): ReceivedSpan[] => {
    const trace = receiver.inTrace(span.traceId);
    const chain: ReceivedSpan[] = [];
    for (let parent = byId(trace, span.parentSpanId); parent; parent = byId(trace, parent.parentSpanId)) chain.push(parent);
    return chain;
  };

  beforeAll(async () => {
    writeFileSync(probe, MODULE_PROBE);
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    receiver = await OtlpReceiver.start();
    const started = await startApi({
      ...tracing(),
      NODE_OPTIONS: `--require ${probe}`,
      MODULE_PROBE_OUTPUT: join(probeDirectory, 'traced.json'),
    });
    api = started.process;
    apiUrl = started.url;
    worker = await startWorker({ ...shared(), ...tracing(), REDIS_URL: TEST_REDIS_URL });
  }, 120_000);

  afterAll(async () => {
    await stopWorker(worker);
    for (const running of [api, untraced?.process]) if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
    await receiver?.close();
    await smtp?.close();
    await database?.drop();
    rmSync(probeDirectory, { recursive: true, force: true });
  });

  it('holds POST /auth/register, its SQL, the outbox hand-over, the worker job and the SMTP send in one trace', async () => {
    const account = await registerAccount();
    const smtpSpan = await smtpSpanOf(account.email, 'Welcome');
    expect(smtpSpan).toMatchObject({ service: 'orderly-worker', kind: SPAN_KIND.client });
    expect(smtpSpan.attributes['server.port']).toBe(smtp.port);

    // The SMTP send is a child of the worker's job span…
    const trace = await receiver.waitFor((spans) => {
      const inTrace = spans.filter((span) => span.traceId === smtpSpan.traceId);
      return inTrace.some((span) => span.kind === SPAN_KIND.server && pathOf(span) === '/api/v1/auth/register') && inTrace;
    });
    const job = byId(trace, smtpSpan.parentSpanId)!;
    expect(job).toMatchObject({ service: 'orderly-worker', name: 'mail welcome-mail', kind: SPAN_KIND.consumer });
    // …whose parent is a span of the API's request, under its HTTP server span (the trace's root).
    const requestChain = ancestorsOf(job);
    expect(requestChain.length).toBeGreaterThan(0);
    expect(requestChain.every((span) => span.service === 'orderly-api')).toBe(true);
    const root = requestChain.at(-1)!;
    expect(root).toMatchObject({ kind: SPAN_KIND.server, parentSpanId: '' });
    expect(pathOf(root)).toBe('/api/v1/auth/register');

    // The request's SQL, the outbox INSERT among it, hangs under the same HTTP span.
    const outboxInsert = await receiver.waitFor((spans) =>
      spans.find(
        (span) =>
          span.traceId === root.traceId &&
          span.attributes['db.system.name'] === 'postgresql' &&
          String(span.attributes['db.query.text']).startsWith('INSERT INTO outbox'),
      ),
    );
    expect(outboxInsert.service).toBe('orderly-api');
    expect(ancestorsOf(outboxInsert)).toContainEqual(root);
    // So do its Redis commands (the per-IP and per-e-mail limits).
    const redisCommand = await receiver.waitFor((spans) =>
      spans.find(
        (span) => span.traceId === root.traceId && span.service === 'orderly-api' && span.attributes['db.system.name'] === 'redis',
      ),
    );
    expect(ancestorsOf(redisCommand)).toContainEqual(root);

    // The hand-over serves a batch: it runs in a trace of its own, linked to this request's trace;
    // BullMQ's run of the job follows it, and the job span links to that run.
    expect(job.links).toHaveLength(1);
    const bullRun = await receiver.waitFor((spans) => byId(spans, job.links[0].spanId));
    expect(bullRun).toMatchObject({ service: 'orderly-worker', kind: SPAN_KIND.consumer, traceId: job.links[0].traceId });
    expect(bullRun.traceId).not.toBe(root.traceId);
    const handOver = await receiver.waitFor((spans) =>
      spans.find((span) => span.name === 'outbox hand-over' && span.traceId === bullRun.traceId),
    );
    expect(handOver.service).toBe('orderly-api');
    expect(handOver.links.map((link) => link.traceId)).toContain(root.traceId);
    expect(ancestorsOf(bullRun)).toContainEqual(handOver);
  });

  it('joins the trace of an incoming W3C traceparent and keeps X-Request-Id as it is', async () => {
    const traceId = randomHex(16);
    const callerSpanId = randomHex(8);
    const account = await registerAccount({ traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-request-id': 'caller-request-7' });
    expect(account.requestId).toBe('caller-request-7');

    const server = await receiver.waitFor((spans) =>
      spans.find((span) => span.kind === SPAN_KIND.server && span.traceId === traceId && pathOf(span) === '/api/v1/auth/register'),
    );
    expect(server.parentSpanId).toBe(callerSpanId);
    // The welcome mail it queued continues the caller's trace too.
    expect((await smtpSpanOf(account.email, 'Welcome')).traceId).toBe(traceId);
  });

  it('writes trace_id and span_id on the log lines of a traced request, naming an exported span', async () => {
    const traceId = randomHex(16);
    await registerAccount({ traceparent: `00-${traceId}-${randomHex(8)}-01`, 'x-request-id': 'log-correlation-1' });
    await expect.poll(() => api.output(), { timeout: 10_000 }).toContain('"requestId":"log-correlation-1"');
    const lines = api
      .output()
      .split('\n')
      .filter((line) => line.includes('"requestId":"log-correlation-1"'))
      .map((line) => JSON.parse(line) as { trace_id?: string; span_id?: string });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.trace_id).toBe(traceId);
      const named = await receiver.waitFor((spans) => byId(spans, line.span_id!));
      expect(named).toMatchObject({ traceId, service: 'orderly-api' });
    }
  });

  it('puts no password, access or refresh token, Authorization header or reset token in any exported attribute', async () => {
    const account = await registerAccount();
    const secrets = [account.password, account.accessToken, account.refreshToken];

    const me = await fetch(`${apiUrl}/api/v1/users/me`, { headers: { authorization: `Bearer ${account.accessToken}` } });
    expect(me.status).toBe(200);
    const login = await post('/auth/login', { email: account.email, password: account.password });
    expect(login.status).toBe(200);
    const refreshed = (await (await post('/auth/refresh', { refreshToken: account.refreshToken })).json()) as { refreshToken: string };
    secrets.push(refreshed.refreshToken);

    expect((await post('/auth/password/forgot', { email: account.email })).status).toBe(202);
    await smtpSpanOf(account.email, 'Reset your password');
    const resetMail = smtp.to(account.email).find((mail) => mail.subject.includes('Reset your password'))!;
    const resetToken = /^([A-Za-z0-9_-]{43})$/m.exec(resetMail.text)![1];
    const newPassword = `new password ${randomHex(4)}`;
    secrets.push(resetToken, newPassword);
    const reset = await post('/auth/password/reset', { token: resetToken, password: newPassword }, { 'x-request-id': 'reset-request' });
    expect(reset.status).toBe(204);

    // Every span of these requests ended before the reset's HTTP span did, and spans leave in the order they end.
    for (const path of ['/api/v1/users/me', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/password/reset']) {
      await receiver.waitFor((spans) => spans.some((span) => span.kind === SPAN_KIND.server && pathOf(span) === path));
    }
    const everything = receiver.rawBodies.join('\n');
    // Both processes' spans, resource attributes included, are in what is searched.
    expect(everything).toContain('"orderly-worker"');
    expect(everything).toContain('"orderly-api"');
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything.toLowerCase()).not.toContain('bearer ');
  });

  it('loads no OpenTelemetry SDK, instrumentation or exporter when OTEL_EXPORTER_OTLP_ENDPOINT is unset', async () => {
    const untracedOutput = join(probeDirectory, 'untraced.json');
    untraced = await startApi({ NODE_OPTIONS: `--require ${probe}`, MODULE_PROBE_OUTPUT: untracedOutput });
    const account = newAccount();
    expect((await post('/auth/register', account, {}, untraced.url)).status).toBe(201);
    expect((await fetch(`${untraced.url}/api/v1/products`)).status).toBe(200);
    await smtp.waitFor(() => smtp.to(account.email).length > 0);

    untraced.process.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    expect(await untraced.process.exited).toBe(0);
    expect(await api.exited).toBe(0);
    // prom-client requires @opentelemetry/api (for exemplars) whether or not tracing is on; the
    // API alone is a set of no-ops until an SDK registers behind it.
    expect(JSON.parse(readFileSync(untracedOutput, 'utf8'))).toEqual(['@opentelemetry/api']);
    // Its outbox row carries no trace context; every row the traced process wrote carries its own.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query<{ trace_context: { traceparent: string } | null }>(`SELECT trace_context FROM outbox`);
    await client.end();
    expect(rows.filter((row) => row.trace_context === null)).toHaveLength(1);
    const traced = rows.flatMap((row) => (row.trace_context ? [row.trace_context.traceparent] : []));
    expect(traced.length).toBeGreaterThan(1);
    for (const traceparent of traced) expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(new Set(traced).size).toBe(traced.length);
    // The same probe in the traced process sees the SDK, so the check above can fail.
    expect(JSON.parse(readFileSync(join(probeDirectory, 'traced.json'), 'utf8'))).toEqual(
      expect.arrayContaining([
        '@opentelemetry/api',
        '@opentelemetry/sdk-node',
        '@opentelemetry/instrumentation-pg',
        '@fastify/otel',
        'bullmq-otel',
      ]),
    );
  });
});
