// Issue "Money is never lost": what an Idempotency-Key costs POST /orders, how warm product lists
// stay while orders flow, and 304 revalidations of a product against full reads.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { freePort, json, load, sleep, startCatalogueApi, startNode, stop, waitForReady } from './lib.mjs';

const PRODUCTS = 100_000;
const CONNECTIONS = 50;
/** Orders in the idempotency rounds pick a random product among the newest this many. */
const ORDER_POOL = 1_000;
/** Orders during the list reads pick among the newest this many: the first page (20 newest) gets 2 %, then a fifth of them. */
const MIXED_POOLS = [1_000, 100];
const MIXED_ORDER_RATE = 200;
const MIXED_SECONDS = 10;
const MIXED_ORDER_CONNECTIONS = 50;
const PAGE = 20;
// PostgreSQL 15 backends publish their table and index counters when idle, at most once a second,
// and otherwise within 10 s: wait that long before reading them after a load.
const STATS_FLUSH_MS = 11_000;

/** The Prometheus text exposition as [name, labels, value] samples. */
async function scrape(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const samples = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]));
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

const total = (samples, name, labels = {}) =>
  samples
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);

/**
 * PostgreSQL's counters for the bench database, in one statement (so one transaction of ours):
 * committed transactions, orders, and index scans / entries read on `products` by its primary key and by
 * the list's index. On PostgreSQL < 17 a primary-key scan for `id = ANY(array)` counts one scan per
 * array element, so item re-reads are counted in entries, and queries in transactions.
 */
async function databaseStats(client) {
  const [row] = (
    await client.query(
      `SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::bigint AS commits,
              (SELECT count(*) FROM orders)::bigint AS orders,
              (SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'products')::bigint AS seq_scans,
              (SELECT s.idx_scan FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
                WHERE s.relname = 'products' AND i.indisprimary)::bigint AS pkey_scans,
              (SELECT s.idx_tup_read FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
                WHERE s.relname = 'products' AND i.indisprimary)::bigint AS pkey_tuples,
              (SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'products_active_created')::bigint AS list_index_scans`,
    )
  ).rows;
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)]));
}

const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;
const percent = (fraction) => `${(fraction * 100).toFixed(1)} %`;

export async function run() {
  const { api, base, databaseUrl, ids } = await startCatalogueApi('money', PRODUCTS);
  const client = new pg.Client(databaseUrl);
  try {
    await client.connect();

    const buyer = (
      await json(`${base}/api/v1/auth/register`, {
        method: 'POST',
        body: { email: 'buyer@bench.example', password: 'bench password', name: 'Buyer' },
      })
    ).accessToken;
    // The revalidated product: cached, and never touched by the orders below.
    const revalidated = ids[5_000];
    const productPath = `/api/v1/products/${revalidated}`;
    const first = await fetch(`${base}${productPath}`);
    const product = await first.json();
    const etag = first.headers.get('etag');
    const check = await fetch(`${base}${productPath}`, { headers: { 'if-none-match': etag } });
    if (!etag || check.status !== 304) throw new Error(`expected an ETag and a 304 for it, got ${etag} and ${check.status}`);
    await fetch(`${base}/api/v1/products?limit=${PAGE}`);

    const orderHeaders = { 'content-type': 'application/json', authorization: `Bearer ${buyer}` };
    const orderBody = (productId) => JSON.stringify({ items: [{ productId, quantity: 1 }] });
    const orders = ({ keyed, pool, ...options }) =>
      load({
        url: `${base}/api/v1/orders`,
        ...options,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/orders',
            headers: orderHeaders,
            body: orderBody(ids[0]),
            setupRequest: (request) => ({
              ...request,
              headers: keyed ? { ...orderHeaders, 'idempotency-key': randomUUID() } : orderHeaders,
              body: orderBody(ids[Math.floor(Math.random() * pool)]),
            }),
          },
        ],
      });
    const ordersCreated = (samples) => total(samples, 'http_requests_total', { method: 'POST', route: '/api/v1/orders', status: '201' });

    // 1. POST /orders without and with a fresh Idempotency-Key, alternating. The product index
    //    counters around these rounds also tell how many product index entries one order reads.
    const calibrationStart = { stats: await databaseStats(client), metrics: await scrape(base) };
    await orders({ keyed: false, pool: ORDER_POOL, duration: 2 });
    await orders({ keyed: true, pool: ORDER_POOL, duration: 2 });
    const orderRows = [];
    const byKey = { false: [], true: [] };
    for (const round of [1, 2]) {
      for (const keyed of [false, true]) {
        const result = await orders({ keyed, pool: ORDER_POOL, duration: 10 });
        byKey[keyed].push(result);
        orderRows.push([
          `round ${round}`,
          keyed ? 'fresh per request' : 'none',
          result.rps,
          result.p50,
          result.p99,
          result.non2xx,
          result.errors,
        ]);
      }
    }
    const summary = (results) => ({
      rps: mean(results.map((r) => r.rps)),
      p50: mean(results.map((r) => r.p50)),
      p99: mean(results.map((r) => r.p99)),
    });
    const without = summary(byKey.false);
    const withKey = summary(byKey.true);
    orderRows.push(['mean', 'none', Math.round(without.rps), without.p50.toFixed(1), without.p99.toFixed(1), '', '']);
    orderRows.push(['mean', 'fresh per request', Math.round(withKey.rps), withKey.p50.toFixed(1), withKey.p99.toFixed(1), '', '']);
    orderRows.push([
      `with ÷ without (key costs ${percent(1 - withKey.rps / without.rps)} of throughput; aim < 10 %)`,
      '',
      (withKey.rps / without.rps).toFixed(2),
      (withKey.p50 / without.p50).toFixed(2),
      (withKey.p99 / without.p99).toFixed(2),
      '',
      '',
    ]);

    // 3. GET /products/:id: If-None-Match with the current ETag (304) against full 200 reads and bare
    //    Fastify. Run here, before the mixed load: it takes longer than the counters need to settle.
    const readCount = (samples, status) => total(samples, 'http_requests_total', { method: 'GET', route: '/api/v1/products/:id', status });
    await load({ url: `${base}${productPath}`, duration: 2, headers: { 'if-none-match': etag } });
    await load({ url: `${base}${productPath}`, duration: 2 });
    const barePort = await freePort();
    const bare = startNode('bench/bare-server.mjs', { PORT: String(barePort), BARE_BODY: JSON.stringify(product) });
    await waitForReady(`http://127.0.0.1:${barePort}/x`);
    const baseline = await load({ url: `http://127.0.0.1:${barePort}/x`, duration: 5 });
    await stop(bare);
    const revalidationRows = [];
    for (const [name, headers] of [
      ['`If-None-Match: <current ETag>` → 304', { 'if-none-match': etag }],
      ['plain read → 200 with the body', undefined],
    ]) {
      const before = await scrape(base);
      const result = await load({ url: `${base}${productPath}`, duration: 5, headers });
      const after = await scrape(base);
      const served = (status) => readCount(after, status) - readCount(before, status);
      const other =
        total(after, 'http_requests_total', { route: '/api/v1/products/:id' }) -
        total(before, 'http_requests_total', { route: '/api/v1/products/:id' });
      revalidationRows.push([
        name,
        result.rps,
        result.p50,
        result.p99,
        served('304'),
        served('200'),
        other - served('304') - served('200'),
        result.errors,
        (result.rps / baseline.rps).toFixed(2),
      ]);
    }
    revalidationRows.push(['bare Fastify, same body → 200', baseline.rps, baseline.p50, baseline.p99, '', '', '', baseline.errors, '1.00']);
    revalidationRows.push(['304 ÷ 200 req/s', (revalidationRows[0][1] / revalidationRows[1][1]).toFixed(2), '', '', '', '', '', '', '']);

    // 2. GET /products?limit=20 while orders flow at ~200/s, on the 1,000 newest products (the first
    //    page holds 2 % of them) and on the 100 newest (a fifth of the orders change a listed product).
    let tuplesPerOrder;
    const listRows = [];
    const mixedWindow = async (pool) => {
      const mixedStart = { stats: await databaseStats(client), metrics: await scrape(base) };
      // Product index entries one order reads (its locking SELECT, its UPDATE, its line's foreign key),
      // from the POST /orders rounds, to tell the orders' reads from the lists' in the mixed window.
      tuplesPerOrder ??=
        (mixedStart.stats.pkey_tuples - calibrationStart.stats.pkey_tuples) / (mixedStart.stats.orders - calibrationStart.stats.orders);
      const [stream, reads] = await Promise.all([
        orders({
          keyed: false,
          pool,
          duration: MIXED_SECONDS,
          connections: MIXED_ORDER_CONNECTIONS,
          overallRate: MIXED_ORDER_RATE,
        }),
        load({ url: `${base}/api/v1/products?limit=${PAGE}`, duration: MIXED_SECONDS }),
      ]);
      await sleep(STATS_FLUSH_MS);
      const mixedEnd = { stats: await databaseStats(client), metrics: await scrape(base) };
      const delta = (pick) => pick(mixedEnd) - pick(mixedStart);
      const listRequests = delta(({ metrics }) =>
        total(metrics, 'http_requests_total', { method: 'GET', route: '/api/v1/products', status: '200' }),
      );
      const ordersAnswered = delta(({ metrics }) => ordersCreated(metrics));
      // Committed, including the few whose response autocannon did not wait for at the end.
      const ordersDuring = delta(({ stats }) => stats.orders);
      // The API's cache counter: with a `cache` label, `product_list` counts a list read as a hit only when
      // its page and every product on it came from the cache; without one (older builds), every lookup
      // in the window is a list page read, items not counted.
      const perList = mixedEnd.metrics.some((sample) => sample.name === 'cache_requests' && sample.labels.cache === 'product_list');
      const listLabels = perList ? { cache: 'product_list' } : {};
      const listHits = delta(({ metrics }) => total(metrics, 'cache_requests', { ...listLabels, result: 'hit' }));
      const listMisses = delta(({ metrics }) => total(metrics, 'cache_requests', { ...listLabels, result: 'miss' }));
      const cacheErrors = delta(({ metrics }) => total(metrics, 'cache_errors') + total(metrics, 'cache_requests', { result: 'error' }));
      // List requests the API served, including those cut off at the end: each is counted once.
      const listServed = listHits + listMisses;
      const pageQueries = delta(({ stats }) => stats.list_index_scans);
      const rereadItems = delta(({ stats }) => stats.pkey_tuples) - tuplesPerOrder * ordersDuring;
      // Every statement outside a transaction commits one: a list request that reads PostgreSQL (its page
      // or its stale items) commits one, an order without a key one, our own read of the counters one.
      // The API's periodic sweeps add about one every 2 s (11 in 21 s idle), so this over-counts slightly.
      const listQueries = delta(({ stats }) => stats.commits) - ordersDuring - 1;
      const assembled = listServed - pageQueries;
      const rows = [
        [
          `order stream (target ~${MIXED_ORDER_RATE}/s) on the ${pool.toLocaleString('en')} newest products`,
          `${(ordersDuring / MIXED_SECONDS).toFixed(0)} orders/s`,
          `${ordersDuring} orders committed, ${ordersAnswered} answered 201; p50 ${stream.p50} ms, p99 ${stream.p99} ms, non-2xx ${stream.non2xx}, errors ${stream.errors}`,
        ],
        [
          `list reads (\`GET /products?limit=${PAGE}\`, ${CONNECTIONS} connections)`,
          `${reads.rps} req/s`,
          `${listServed} served, ${listRequests} answered 200 before autocannon stopped; p50 ${reads.p50} ms, p99 ${reads.p99} ms, non-2xx ${reads.non2xx}, errors ${reads.errors}`,
        ],
        perList
          ? [
              'list reads answered wholly from the cache (the API\'s `cache_requests{cache="product_list"}`)',
              percent(listHits / listServed),
              `${listHits} hits, ${listMisses} misses (page or any item stale), ${cacheErrors} cache errors; aim ≥ 90 %`,
            ]
          : [
              "list pages found in the cache (the API's `cache_requests` gauge)",
              percent(listHits / listServed),
              `${listHits} hits, ${listMisses} misses, ${cacheErrors} errors: the page of ids only — item entries read by a list are not counted`,
            ],
        [
          'list requests answered without PostgreSQL (from `pg_stat_database`)',
          percent(1 - Math.max(0, listQueries) / listServed),
          `about ${listQueries} queries for ${listServed} list requests served: committed transactions in the bench database less one per order`,
        ],
        [
          `list items served from their cache entry (${PAGE} per page; from \`pg_stat_user_indexes\`)`,
          percent(1 - Math.max(0, rereadItems) / (assembled * PAGE)),
          `${Math.round(rereadItems)} stale items read again of ${assembled * PAGE} (primary-key entries read less ${tuplesPerOrder.toFixed(2)} per order); ${pageQueries} pages read again`,
        ],
      ];
      const sequentialScans = delta(({ stats }) => stats.seq_scans);
      if (sequentialScans > 0) rows.push(['sequential scans of `products` in the window', sequentialScans, 'expected 0']);
      listRows.push(...rows);
    };
    for (const pool of MIXED_POOLS) await mixedWindow(pool);

    return {
      title: 'Money: idempotency cost, list cache under orders, ETag revalidation',
      command: 'npm run bench -- money',
      sections: [
        {
          heading: `\`POST /orders\` without and with a fresh \`Idempotency-Key\` per request (autocannon, ${CONNECTIONS} connections, 10 s rounds alternating after 2 + 2 s warm-up; one line, a random product of the ${ORDER_POOL.toLocaleString('en')} newest, stock 10⁹; API pinned to CPU 1, PostgreSQL and Redis sharing the machine; ${PRODUCTS.toLocaleString('en')} products)`,
          columns: ['round', 'Idempotency-Key', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
          rows: orderRows,
        },
        {
          heading: `\`GET /products?limit=${PAGE}\` while orders flow (${MIXED_SECONDS} s; list reads at ${CONNECTIONS} connections alongside an order stream at overallRate ${MIXED_ORDER_RATE}/s over ${MIXED_ORDER_CONNECTIONS} connections, each order one line on a random product of the ${MIXED_POOLS.join(' or ')} newest, so 2 % or a fifth of them change a product on the first page of ${PAGE}; API pinned to CPU 1; ${PRODUCTS.toLocaleString('en')} products)`,
          columns: ['measure', 'value', 'note'],
          rows: listRows,
        },
        {
          heading: `\`GET /products/:id\` revalidation of one cached product (autocannon, ${CONNECTIONS} connections, 5 s each after 2 + 2 s warm-up; API pinned to CPU 1; status counts from the API's \`http_requests_total\`)`,
          columns: ['request', 'req/s', 'p50 ms', 'p99 ms', '304s', '200s', 'other', 'errors', '× bare Fastify'],
          rows: revalidationRows,
        },
      ],
    };
  } finally {
    await client.end().catch(() => undefined);
    await stop(api);
  }
}
