import { DataSource } from 'typeorm';
import { useTestApp } from './support/app';

describe('Migrations and entities', () => {
  const context = useTestApp();

  // `npm run migration:generate` diffs entities against the migrated schema: any difference here
  // would end up in a user's next generated migration (dropping our constraints and indexes).
  it('describe the same schema, so a generated migration contains only the developer’s change', async () => {
    const pending = await context.api.app.get(DataSource).driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
