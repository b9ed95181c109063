/**
 * Counters of billable operations (queue writes, reads and acks; Durable Object requests; SQLite rows
 * written; D1 batches, statements and the rows they read and wrote), kept per isolate since it
 * started. Locally one isolate serves a Worker and its Durable Objects, so `GET /admin/usage` of
 * each Worker adds up to the system's; the bench reads them.
 */
export type UsageCounter =
	| "workerRequests"
	| "queueBatches"
	| "queueWrites"
	| "queueReads"
	| "queueAcks"
	| "doRequests"
	| "sqlRowsWritten"
	| "d1Batches"
	| "d1Statements"
	| "d1RowsRead"
	| "d1RowsWritten"
	| "workflowSteps";

const counters: Record<UsageCounter, number> = {
	workerRequests: 0,
	queueBatches: 0,
	queueWrites: 0,
	queueReads: 0,
	queueAcks: 0,
	doRequests: 0,
	sqlRowsWritten: 0,
	d1Batches: 0,
	d1Statements: 0,
	d1RowsRead: 0,
	d1RowsWritten: 0,
	workflowSteps: 0,
};

/**
 * The same counters split by what they were spent on, as `<counter>.<on>`: Durable Object requests by
 * the object's class, queue operations by queue (writes by producer binding). The capacity model
 * (bench/capacity.ts) reads how much each order asks of each object kind and each queue from these.
 */
const split: Record<string, number> = {};

export const usage = {
	count(counter: UsageCounter, n = 1, on?: string) {
		counters[counter] += n;
		if (on) split[`${counter}.${on}`] = (split[`${counter}.${on}`] ?? 0) + n;
	},
	/** One request to a Durable Object, counted for its class (wrangler keeps class names when bundling). */
	objectRequest(object: object) {
		usage.count("doRequests", 1, object.constructor.name);
	},
	snapshot(): Record<UsageCounter, number> & Record<string, number> {
		return { ...counters, ...split };
	},
};
