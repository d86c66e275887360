import { DataSource } from 'typeorm';
import { startApp, TestApp, uniqueRedisPrefix } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';

describe('Migrations and entities', () => {
  let database: TestDatabase;
  let api: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix() });
  });

  afterAll(async () => {
    await api?.close();
    await database?.drop();
  });

  // `npm run migration:generate` diffs entities against the migrated schema: any difference here
  // would end up in a user's next generated migration (dropping our constraints and indexes).
  it('describe the same schema, so a generated migration contains only the developer’s change', async () => {
    const pending = await api.app.get(DataSource).driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
