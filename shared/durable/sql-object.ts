import { DurableObject } from "cloudflare:workers";
import { usage } from "../observability/usage";
import { migrate } from "./migrations";

/**
 * The object's SQL, with every statement's rows written (as SQLite reports them per statement:
 * schema changes, index entries and AUTOINCREMENT's counter included, as Durable Objects bill
 * them) counted for the object's class.
 */
function counted(sql: SqlStorage, on: string): SqlStorage {
	return new Proxy(sql, {
		get(target, key) {
			if (key !== "exec") {
				const value = Reflect.get(target, key, target);
				return typeof value === "function" ? value.bind(target) : value;
			}
			return (query: string, ...bindings: unknown[]) => {
				const cursor = target.exec(query, ...bindings);
				if (cursor.rowsWritten > 0) usage.count("sqlRowsWritten", cursor.rowsWritten, on);
				return cursor;
			};
		},
	});
}

/** How a schema is reached: the migrations in order, and the current schema a fresh object starts from. */
export interface Schema {
	migrations: readonly string[];
	current?: string;
}

/** A Durable Object on SQLite whose schema migrates, once and in order, before it serves anything. */
export abstract class SqlObject<E> extends DurableObject<E> {
	protected readonly sql: SqlStorage;

	protected readonly schema: Schema;

	constructor(ctx: DurableObjectState, env: E, migrations: readonly string[], current?: string) {
		super(ctx, env);
		this.sql = counted(ctx.storage.sql, new.target.name);
		this.schema = { migrations, current };
		ctx.blockConcurrencyWhile(async () => migrate(this.sql, migrations, current));
	}
}
