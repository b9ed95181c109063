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
 * Per order. Ours: the client's request plus one invocation per queue batch consumed; queue
 * operations as counted. Workflows (billed as Workers plus storage): the client's request plus the
 * instance; each step's result persisted by the engine, modelled as 2 rows written per step; the
 * PeerOrder status object's 2 writes. Contexts only: the client's request and what the contexts
 * did. Service-binding calls are not billed separately on any side.
 */
export function costPerMillion(system: "ours" | "workflows" | "contexts", u: Usage, cpuSeconds: number): number {
	const cpu = cpuSeconds * 1000 * PRICES["Workers CPU-ms"];
	if (system === "contexts")
		return (
			PRICES["Workers requests"] +
			cpu +
			u.doRequests * PRICES["Durable Object requests"] +
			u.sqlRowsWritten * PRICES["SQLite rows written"]
		);
	if (system === "ours") {
		return (
			(1 + u.queueBatches) * PRICES["Workers requests"] +
			cpu +
			u.doRequests * PRICES["Durable Object requests"] +
			u.sqlRowsWritten * PRICES["SQLite rows written"] +
			u.d1RowsRead * PRICES["D1 rows read"] +
			u.d1RowsWritten * PRICES["D1 rows written"] +
			(u.queueWrites + u.queueReads + u.queueAcks) * PRICES["Queues operations (write, read, delete)"]
		);
	}
	return (
		2 * PRICES["Workers requests"] +
		cpu +
		(u.doRequests + 2) * PRICES["Durable Object requests"] +
		(u.sqlRowsWritten + 2 * u.workflowSteps + 2) * PRICES["SQLite rows written"]
	);
}
