import { SqlObject } from "../../../shared/durable/sql-object";
import { usage } from "../../../shared/observability/usage";

const MIGRATIONS = ["CREATE TABLE skus (sku TEXT PRIMARY KEY, added_at INTEGER NOT NULL);"];

/**
 * The SKUs sold, so the admin views can visit every SKU's object. Only restocking and those views
 * touch it: no order passes through here.
 */
export class Catalogue extends SqlObject<InventoryEnv> {
	constructor(ctx: DurableObjectState, env: InventoryEnv) {
		super(ctx, env, MIGRATIONS);
	}

	async add(sku: string): Promise<void> {
		usage.objectRequest(this);
		this.sql.exec("INSERT INTO skus (sku, added_at) VALUES (?, ?) ON CONFLICT(sku) DO NOTHING", sku, Date.now());
	}

	async list(): Promise<string[]> {
		usage.objectRequest(this);
		return this.sql
			.exec<{ sku: string }>("SELECT sku FROM skus ORDER BY sku")
			.toArray()
			.map((r) => r.sku);
	}
}
