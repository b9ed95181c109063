import { DurableObject } from "cloudflare:workers";
import { usage } from "../observability/usage";
import { isFresh, migrate } from "./migrations";

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

/**
 * A Durable Object on SQLite whose schema migrates, once and in order, before it serves anything.
 * A class that sets the static `lazily` (and has a `current` schema) makes its tables only with its
 * first write (`create`), so a call for something it never had (a message naming an unknown order)
 * stores nothing.
 */
export abstract class SqlObject<E> extends DurableObject<E> {
	/** Set by a class whose objects make their tables with their first write. */
	static readonly lazily: boolean = false;

	protected readonly sql: SqlStorage;

	protected readonly schema: Schema;

	/** Whether the object has its tables; false only for a lazily created object before its first write. */
	protected created = true;

	constructor(ctx: DurableObjectState, env: E, migrations: readonly string[], current?: string) {
		super(ctx, env);
		this.sql = counted(ctx.storage.sql, new.target.name);
		this.schema = { migrations, current };
		const lazily = (new.target as unknown as typeof SqlObject).lazily;
		ctx.blockConcurrencyWhile(async () => {
			if (lazily && current !== undefined && isFresh(this.sql)) this.created = false;
			else migrate(this.sql, migrations, current);
		});
	}

	/** Makes the tables of a lazily created object; call before its first write (MessagingObject's commit does). */
	protected create(): void {
		if (this.created) return;
		migrate(this.sql, this.schema.migrations, this.schema.current);
		this.created = true;
	}
}
