import type { Payload } from "../../../shared/messages";
import { usage } from "../../../shared/observability/usage";
import { decodeCursor, encodeCursor, newestPerOrder } from "./domain/order-list";

/**
 * The read model of orders in D1 (ORDERS_DB, schema in ../migrations): one row per order, its
 * newest summary, queried with filters and cursor pagination without touching the saga objects.
 */

type Summary = Payload<"order.summary-changed">;
type ReturnSummary = Payload<"order.return-changed">;
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

/** D1 bills the rows each statement reads and writes: the bench reads these counters. */
function counted<T>(results: D1Result<T>[]): D1Result<T>[] {
	usage.count("d1Statements", results.length);
	for (const r of results) {
		usage.count("d1RowsRead", r.meta.rows_read ?? 0);
		usage.count("d1RowsWritten", r.meta.rows_written ?? 0);
	}
	return results;
}

// A row moves only to a newer revision, so a repeat, or older news arriving late, changes nothing.
const UPSERT = `INSERT INTO orders (id, revision, status, phase, needs_attention, customer_id, total, currency, failure_reason, created_at, updated_at, saga_version)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, status = excluded.status, phase = excluded.phase,
		needs_attention = excluded.needs_attention, failure_reason = excluded.failure_reason, updated_at = excluded.updated_at,
		saga_version = COALESCE(excluded.saga_version, orders.saga_version)
	WHERE excluded.revision > orders.revision`;

const UPSERT_RETURN = `INSERT INTO returns (id, order_id, revision, status, phase, needs_attention, customer_id, amount, currency, failure_reason, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, status = excluded.status, phase = excluded.phase,
		needs_attention = excluded.needs_attention, failure_reason = excluded.failure_reason, updated_at = excluded.updated_at
	WHERE excluded.revision > returns.revision`;

/**
 * Applies summaries of orders (and of returns) in one D1 batch (one transaction: all or nothing),
 * one statement per order or return. Idempotent and indifferent to order. Returns how many rows moved.
 */
export async function applySummaries(
	db: D1Database,
	summaries: readonly Summary[],
	returns: readonly ReturnSummary[] = [],
): Promise<number> {
	const newest = newestPerOrder(summaries);
	if (newest.length === 0 && returns.length === 0) return 0;
	const statement = db.prepare(UPSERT);
	const returnStatement = db.prepare(UPSERT_RETURN);
	usage.count("d1Batches");
	const returnRows = returns.map((r) =>
		returnStatement.bind(
			r.returnId,
			r.orderId,
			r.revision,
			r.status,
			r.phase,
			r.needsAttention ? 1 : 0,
			r.customerId,
			r.amount,
			r.currency,
			r.failureReason,
			r.createdAt,
			r.updatedAt,
		),
	);
	const results = counted(
		await db.batch([
			...returnRows,
			...newest.map((s) =>
				statement.bind(
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
				),
			),
		]),
	);
	return results.reduce((n, r) => n + (r.meta.changes > 0 ? 1 : 0), 0);
}

/** A page of orders, newest first; null when the cursor is not one this API gave out. */
export async function listOrders(db: D1Database, q: OrderQuery) {
	const where: string[] = [];
	const args: (string | number)[] = [];
	if (q.status) where.push("status = ?") && args.push(q.status);
	if (q.customerId) where.push("customer_id = ?") && args.push(q.customerId);
	const after = q.cursor ? decodeCursor(q.cursor) : null;
	if (q.cursor && !after) return null;
	if (after) where.push("(created_at, id) < (?, ?)") && args.push(...after);
	const [result] = counted([
		await db
			.prepare(
				`SELECT * FROM orders ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
			)
			.bind(...args, q.limit + 1)
			.all<Row>(),
	]);
	const rows = result?.results ?? [];
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
		nextCursor: rows.length > q.limit && last ? encodeCursor([last.created_at, last.id]) : null,
	};
}

/** How many orders are in each status (the dashboard's counts). */
export async function countByStatus(db: D1Database): Promise<Record<string, number>> {
	const [result] = counted([
		await db.prepare("SELECT status, COUNT(*) AS n FROM orders GROUP BY status").all<{ status: string; n: number }>(),
	]);
	return Object.fromEntries((result?.results ?? []).map((r) => [r.status, r.n]));
}

/**
 * Orders per saga version and phase, newest version first. A version with nothing `running` or
 * `compensating` left (and no order of an unknown version) can be retired; the read model trails
 * the orders by a queue hop, so read it again a while after it first shows none.
 */
export async function countBySagaVersion(
	db: D1Database,
): Promise<{ version: number | null; phases: Record<string, number>; active: number }[]> {
	const [result] = counted([
		await db
			.prepare(
				"SELECT saga_version AS version, phase, COUNT(*) AS n FROM orders GROUP BY saga_version, phase ORDER BY saga_version DESC",
			)
			.all<{ version: number | null; phase: string; n: number }>(),
	]);
	const byVersion = new Map<number | null, Record<string, number>>();
	for (const r of result?.results ?? []) byVersion.set(r.version, { ...byVersion.get(r.version), [r.phase]: r.n });
	return [...byVersion].map(([version, phases]) => ({
		version,
		phases,
		active: (phases.running ?? 0) + (phases.compensating ?? 0),
	}));
}

export interface SagaQuery {
	/** true: only sagas that need attention; false: only running or compensating ones that do not; absent: both. */
	attention?: boolean;
	limit: number;
	cursor?: string;
}

// Verbatim the partial index's condition (migration 0003), so SQLite may read the index for every filter.
const OPEN = "(needs_attention = 1 OR phase IN ('running', 'compensating'))";

/**
 * Sagas an operator should look at, from the read model: those that need attention and those not
 * finished, the one that has waited longest (oldest updated_at) first; keyset cursor on
 * (updated_at, id). Null when the cursor is not one this API gave out.
 */
export async function listOpenSagas(db: D1Database, q: SagaQuery) {
	const where = [OPEN];
	const args: (string | number)[] = [];
	if (q.attention === true) where.push("needs_attention = 1");
	if (q.attention === false) where.push("needs_attention = 0");
	const after = q.cursor ? decodeCursor(q.cursor) : null;
	if (q.cursor && !after) return null;
	if (after) where.push("(updated_at, id) > (?, ?)") && args.push(...after);
	const [result] = counted([
		await db
			.prepare(`SELECT * FROM orders WHERE ${where.join(" AND ")} ORDER BY updated_at, id LIMIT ?`)
			.bind(...args, q.limit + 1)
			.all<Row & { saga_version: number | null }>(),
	]);
	const rows = result?.results ?? [];
	const page = rows.slice(0, q.limit);
	const last = page.at(-1);
	return {
		items: page.map((r) => ({
			orderId: r.id,
			status: r.status,
			phase: r.phase,
			needsAttention: r.needs_attention === 1,
			sagaVersion: r.saga_version,
			...(r.failure_reason ? { failureReason: r.failure_reason } : {}),
			createdAt: r.created_at,
			updatedAt: r.updated_at,
		})),
		nextCursor: rows.length > q.limit && last ? encodeCursor([last.updated_at, last.id]) : null,
	};
}

export interface ReturnQuery {
	customerId?: string;
	orderId?: string;
	limit: number;
}

/** Returns, newest first, by customer or order (the read model: never touches the return objects). */
export async function listReturns(db: D1Database, q: ReturnQuery) {
	const where: string[] = [];
	const args: (string | number)[] = [];
	if (q.customerId) where.push("customer_id = ?") && args.push(q.customerId);
	if (q.orderId) where.push("order_id = ?") && args.push(q.orderId);
	const [result] = counted([
		await db
			.prepare(
				`SELECT * FROM returns ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
			)
			.bind(...args, q.limit)
			.all<{
				id: string;
				order_id: string;
				status: string;
				phase: string;
				needs_attention: number;
				customer_id: string;
				amount: number;
				currency: string;
				failure_reason: string | null;
				created_at: string;
				updated_at: string;
			}>(),
	]);
	return {
		items: (result?.results ?? []).map((r) => ({
			id: r.id,
			orderId: r.order_id,
			status: r.status,
			phase: r.phase,
			needsAttention: r.needs_attention === 1,
			customerId: r.customer_id,
			amount: r.amount,
			currency: r.currency,
			...(r.failure_reason ? { failureReason: r.failure_reason } : {}),
			createdAt: r.created_at,
			updatedAt: r.updated_at,
		})),
	};
}
