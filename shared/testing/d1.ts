import { applyD1Migrations, type D1Migration, env } from "cloudflare:test";

/**
 * Applies the D1 migrations a Vitest config read from a Worker's migrations directory (its
 * `TEST_MIGRATIONS` binding) to `db`, as `wrangler d1 migrations apply` does; applied ones are skipped.
 */
export const applyTestMigrations = (db: D1Database) =>
	applyD1Migrations(db, (env as unknown as { TEST_MIGRATIONS: D1Migration[] }).TEST_MIGRATIONS);
