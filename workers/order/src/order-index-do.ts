import { SqlObject } from "../../../shared/durable/sql-object";
import type { Payload } from "../../../shared/messages";
import { usage } from "../../../shared/observability/usage";

const MIGRATIONS = [
	`CREATE TABLE orders (id TEXT PRIMARY KEY, revision INTEGER NOT NULL, status TEXT NOT NULL, phase TEXT NOT NULL,
		needs_attention INTEGER NOT NULL, customer_id TEXT NOT NULL, total INTEGER NOT NULL, currency TEXT NOT NULL,
		failure_reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE INDEX orders_by_created ON orders (created_at DESC, id DESC);
	CREATE INDEX orders_by_status ON orders (status, created_at DESC, id DESC);
	CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);`,
	// The saga version each order runs on, from its news: what tells an operator a version can be retired.
	"ALTER TABLE orders ADD COLUMN saga_version INTEGER;",
];

type Summary = Payload<"order.summary-changed">;
type Row = {
	id: string;
	revision: number;
	status: string;
	phase: string;
	needs_attention: number;
	customer_id: string;
	total: number;
	currency: string;
	failure_reason: string | null;
	created_at: string;
	updated_at: string;
};

export interface OrderQuery {
	status?: string;
	customerId?: string;
	limit: number;
	cursor?: string;
}

const encodeCursor = (r: Row) => btoa(JSON.stringify([r.created_at, r.id]));
function decodeCursor(cursor: string): [string, string] | null {
	try {
		const v = JSON.parse(atob(cursor));
		return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string") ? (v as [string, string]) : null;
	} catch {
		return null;
	}
}

/**
 * The read model of orders (CQRS): a projection of the order's domain events (each carries the
 * order's summary), fed in batches from the order-read-model queue and queried with filters and
 * cursor pagination without touching the saga objects. Applying an event is
 * idempotent and order-insensitive: an older revision than the one kept changes nothing.
 */
export class OrderIndex extends SqlObject<OrderEnv> {
	constructor(ctx: DurableObjectState, env: OrderEnv) {
		super(ctx, env, MIGRATIONS);
	}

	async apply(summaries: Summary[]): Promise<number> {
		usage.count("doRequests");
		let applied = 0;
		this.ctx.storage.transactionSync(() => {
			for (const s of summaries) {
				const cursor = this.sql.exec(
					`INSERT INTO orders (id, revision, status, phase, needs_attention, customer_id, total, currency, failure_reason, created_at, updated_at, saga_version)
					 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
					 ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, status = excluded.status, phase = excluded.phase,
					   needs_attention = excluded.needs_attention, failure_reason = excluded.failure_reason, updated_at = excluded.updated_at,
					   saga_version = COALESCE(excluded.saga_version, orders.saga_version)
					 WHERE excluded.revision > orders.revision`,
					s.orderId,
					s.revision,
					s.status,
					s.phase,
					s.needsAttention ? 1 : 0,
					s.customerId,
					s.total,
					s.currency,
					s.failureReason,
					s.createdAt,
					s.updatedAt,
					s.sagaVersion ?? null,
				);
				applied += cursor.rowsWritten > 0 ? 1 : 0;
			}
		});
		return applied;
	}

	async list(q: OrderQuery) {
		const where: string[] = [];
		const args: (string | number)[] = [];
		if (q.status) where.push("status = ?") && args.push(q.status);
		if (q.customerId) where.push("customer_id = ?") && args.push(q.customerId);
		const after = q.cursor ? decodeCursor(q.cursor) : null;
		if (q.cursor && !after) return null;
		if (after) where.push("(created_at, id) < (?, ?)") && args.push(...after);
		const rows = this.sql
			.exec<Row>(
				`SELECT * FROM orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
				...args,
				q.limit + 1,
			)
			.toArray();
		const page = rows.slice(0, q.limit);
		const last = page.at(-1);
		return {
			items: page.map((r) => ({
				id: r.id,
				status: r.status,
				phase: r.phase,
				needsAttention: r.needs_attention === 1,
				customerId: r.customer_id,
				total: r.total,
				currency: r.currency,
				...(r.failure_reason ? { failureReason: r.failure_reason } : {}),
				createdAt: r.created_at,
				updatedAt: r.updated_at,
			})),
			nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
		};
	}

	/**
	 * Orders per saga version and phase, newest version first. A version with nothing `running` or
	 * `compensating` left (and no order of an unknown version) can be retired; the read model trails
	 * the orders by a queue hop, so read it again a while after it first shows none.
	 */
	async sagaVersions(): Promise<{ version: number | null; phases: Record<string, number>; active: number }[]> {
		usage.count("doRequests");
		const rows = this.sql
			.exec<{ version: number | null; phase: string; n: number }>(
				"SELECT saga_version AS version, phase, COUNT(*) AS n FROM orders GROUP BY saga_version, phase ORDER BY saga_version DESC",
			)
			.toArray();
		const byVersion = new Map<number | null, Record<string, number>>();
		for (const r of rows) byVersion.set(r.version, { ...byVersion.get(r.version), [r.phase]: r.n });
		return [...byVersion].map(([version, phases]) => ({
			version,
			phases,
			active: (phases.running ?? 0) + (phases.compensating ?? 0),
		}));
	}

	async counts(): Promise<Record<string, number>> {
		const rows = this.sql
			.exec<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM orders GROUP BY status")
			.toArray();
		return Object.fromEntries(rows.map((r) => [r.status, r.n]));
	}
}
