/**
 * Dollars per million orders from the billable operations each system performed, counted by the
 * system itself (shared/observability/usage.ts), at Cloudflare's published Workers Paid prices.
 * Included allowances and the $5 monthly fee are left out: this is the marginal cost of an order.
 */
export const PRICES_AS_OF =
	"2026-11-25 (developers.cloudflare.com pricing pages for Workers, Durable Objects and Queues; D1's, 2026-11-27)";

/** USD per million units. */
export const PRICES = {
	"Workers requests": 0.3,
	"Workers CPU-ms": 0.02,
	"Durable Object requests": 0.15,
	"SQLite rows written": 1.0,
	"Queues operations (write, read, delete)": 0.4,
	"D1 rows read": 0.001,
	"D1 rows written": 1.0,
};

export interface Usage {
	workerRequests: number;
	queueBatches: number;
	queueWrites: number;
	queueReads: number;
	queueAcks: number;
	doRequests: number;
	sqlRowsWritten: number;
	/** The read model's D1 work: batches (one per read-model queue batch), statements, and the rows they read and wrote. */
	d1Batches: number;
	d1Statements: number;
	d1RowsRead: number;
	d1RowsWritten: number;
	workflowSteps: number;
}

/**
 * Per order. What every system is charged alike, as counted: CPU, object requests, rows written,
 * D1 rows, queue operations and one Worker invocation per queue batch consumed (the contexts'
 * carrier events are consumed for all three). On top of that, each its own: ours, the client's
 * request. Workflows (billed as Workers plus storage): the client's request and the instance; each
 * step's result persisted by the engine, modelled as 2 rows written per step; the PeerOrder status
 * object's 3 requests (the pending write, the placement's wait, the pivot's write) and 2 writes.
 * The contexts alone: the client's request. Service-binding calls are not billed separately on any side.
 */
export function costPerMillion(system: "ours" | "workflows" | "contexts", u: Usage, cpuSeconds: number): number {
	const counted =
		cpuSeconds * 1000 * PRICES["Workers CPU-ms"] +
		u.queueBatches * PRICES["Workers requests"] +
		u.doRequests * PRICES["Durable Object requests"] +
		u.sqlRowsWritten * PRICES["SQLite rows written"] +
		u.d1RowsRead * PRICES["D1 rows read"] +
		u.d1RowsWritten * PRICES["D1 rows written"] +
		(u.queueWrites + u.queueReads + u.queueAcks) * PRICES["Queues operations (write, read, delete)"];
	if (system !== "workflows") return counted + PRICES["Workers requests"];
	return (
		counted +
		2 * PRICES["Workers requests"] +
		3 * PRICES["Durable Object requests"] +
		(2 * u.workflowSteps + 2) * PRICES["SQLite rows written"]
	);
}
