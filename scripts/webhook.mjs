// `npm run webhook -- pay <orderId> <amountCents>` / `npm run webhook -- fail <orderId>`:
// plays the payment provider on a local API. Signs the event exactly as the provider does
// (`X-Signature: sha256=<HMAC-SHA256 of the raw body>`) with the secret the API uses — the
// same environment and `.env` as `npm start`, so PAYMENT_WEBHOOK_SECRET if set, else the
// development secret — and POSTs it to API_URL (default http://127.0.0.1:$PORT).
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `usage: npm run webhook -- pay <orderId> <amountCents> [--event-id <id>]
       npm run webhook -- fail <orderId> [amountCents] [--event-id <id>]

  pay    a captured payment (payment.succeeded); amountCents is what was captured, in minor
         units — the order's totalCents to pay it, anything else to see a refund recorded
  fail   a declined payment (payment.failed); the order stays pending
  --event-id  the provider's event id (default: a new one); send one twice to see the replay

Signs with PAYMENT_WEBHOOK_SECRET (or the development secret) and POSTs to API_URL
(default http://127.0.0.1:$PORT, PORT from the environment or .env, else 3000).
`;

function usage(problem) {
  process.stderr.write(`${problem}\n\n${USAGE}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'event-id': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const [command, orderId, amount, ...extra] = positionals;
const types = { pay: 'payment.succeeded', fail: 'payment.failed' };
if (!(command in types)) usage(command ? `unknown command "${command}"` : 'which event: pay or fail?');
if (!orderId) usage('the order id is missing');
if (extra.length > 0) usage(`unexpected argument "${extra[0]}"`);
if (command === 'pay' && amount === undefined) usage("the amount is missing: the order's totalCents, e.g. 2500");
if (amount !== undefined && !/^\d+$/.test(amount)) usage(`amountCents must be a whole number of cents (got "${amount}")`);

// The API's own configuration code, so the secret and port are read exactly as the API reads them.
const loader = new URL('../dist/shared/config/load-environment-or-exit.js', import.meta.url);
if (!existsSync(fileURLToPath(loader))) {
  process.stderr.write('dist/ is missing: run `npm start` (or `npm run build`) first.\n');
  process.exit(1);
}
const { loadEnvironmentOrExit } = await import(loader.href);
const env = loadEnvironmentOrExit();
const base = (process.env.API_URL ?? `http://127.0.0.1:${env.port}`).replace(/\/+$/, '');
const url = `${base}/api/v1/payments/webhook`;

const body = JSON.stringify({
  eventId: values['event-id'] ?? `evt_local_${randomUUID()}`,
  type: types[command],
  orderId,
  amountCents: Number(amount ?? 0),
});
const signature = `sha256=${createHmac('sha256', env.paymentWebhookSecret).update(body).digest('hex')}`;

process.stdout.write(`POST ${url}\n${body}\n`);
let response;
try {
  response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': signature }, body });
} catch (error) {
  process.stderr.write(`Could not reach the API at ${base} (${error.cause?.code ?? error.message}). Is it running? (npm start)\n`);
  process.exit(1);
}
const text = await response.text();
let shown = text;
try {
  shown = JSON.stringify(JSON.parse(text), null, 2);
} catch {
  // not JSON: show it as it came
}
process.stdout.write(`${response.status} ${response.statusText}\n${shown}\n`);
process.exit(response.ok ? 0 : 1);
