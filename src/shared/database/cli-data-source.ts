import { DataSource } from 'typeorm';
import { loadEnvironment } from '../config/environment';
import { databaseOptions } from './database-options';

/** For the TypeORM CLI (`npm run migration:generate -- <Name>`): needs DATABASE_URL, sees every entity. */
const env = loadEnvironment(process.env);
if (!env.databaseUrl) throw new Error('DATABASE_URL must point at a PostgreSQL database to generate migrations');

export default new DataSource({
  ...databaseOptions({ url: env.databaseUrl, poolSize: 1 }),
  entities: [`${__dirname}/../../**/*.entity.js`],
});
