import { DurableObject } from "cloudflare:workers";
import { migrate } from "./migrations";

/** A Durable Object on SQLite whose schema migrates, once and in order, before it serves anything. */
export abstract class SqlObject<E> extends DurableObject<E> {
	protected readonly sql: SqlStorage;

	constructor(ctx: DurableObjectState, env: E, migrations: readonly string[]) {
		super(ctx, env);
		this.sql = ctx.storage.sql;
		ctx.blockConcurrencyWhile(async () => migrate(this.sql, migrations));
	}
}
