import { runInDurableObject } from "cloudflare:test";
import { migrate } from "../durable/migrations";
import type { Schema } from "../durable/sql-object";

type Column = { table: string; name: string; type: string; notnull: number; dflt_value: string | null; pk: number };

/** Every column of every table of the object's own (not the runtime's), by table. */
function columnsOf(sql: SqlStorage): Record<string, Omit<Column, "table">[]> {
	const rows = sql
		.exec<Column>(
			`SELECT m.name AS "table", p.name, p.type, p."notnull", p.dflt_value, p.pk
			 FROM sqlite_master m, pragma_table_info(m.name) p
			 WHERE m.type = 'table' AND m.name NOT GLOB 'sqlite_*' AND m.name NOT GLOB '_cf_*'
			 ORDER BY m.name, p.cid`,
		)
		.toArray();
	const tables: Record<string, Omit<Column, "table">[]> = {};
	// A key column is never NULL: WITHOUT ROWID tables say so, rowid tables (by an old quirk of SQLite) do not.
	for (const { table, ...column } of rows) {
		tables[table] ??= [];
		tables[table].push({ ...column, notnull: column.pk > 0 ? 1 : column.notnull });
	}
	return tables;
}

function dropAll(sql: SqlStorage) {
	const tables = sql
		.exec<{ name: string }>(
			"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB 'sqlite_*' AND name NOT GLOB '_cf_*'",
		)
		.toArray();
	for (const { name } of tables) sql.exec(`DROP TABLE ${name}`);
}

/**
 * Turns a fresh object into one made before its class declared a current schema: every table
 * dropped, then each migration applied in order (up to `upTo`, all by default), as that object
 * went through them. `before` runs on its SQL when the migrations up to `upTo` are in.
 * Returns the columns it had when fresh and the columns the migrations gave it.
 */
export function remadeByMigrations(
	stub: DurableObjectStub,
	options: { upTo?: number; before?: (sql: SqlStorage) => void } = {},
): Promise<{ fresh: ReturnType<typeof columnsOf>; migrated: ReturnType<typeof columnsOf> }> {
	return runInDurableObject(stub, (instance: unknown, state: DurableObjectState) => {
		const sql = state.storage.sql;
		const { migrations } = (instance as { schema: Schema }).schema;
		// A lazily created object makes its tables with its first write: as that write would.
		(instance as { create?: () => void }).create?.();
		const fresh = columnsOf(sql);
		dropAll(sql);
		migrate(sql, migrations.slice(0, options.upTo ?? migrations.length));
		options.before?.(sql);
		migrate(sql, migrations);
		return { fresh, migrated: columnsOf(sql) };
	});
}
