/**
 * Counters of billable operations (queue writes, reads and acks; Durable Object requests; SQLite rows
 * written), kept per isolate since it started. Locally one isolate serves a Worker and its Durable
 * Objects, so `GET /admin/usage` of each Worker adds up to the system's; the bench reads them.
 */
export type UsageCounter =
	| "workerRequests"
	| "queueBatches"
	| "queueWrites"
	| "queueReads"
	| "queueAcks"
	| "doRequests"
	| "sqlRowsWritten"
	| "workflowSteps";

const counters: Record<UsageCounter, number> = {
	workerRequests: 0,
	queueBatches: 0,
	queueWrites: 0,
	queueReads: 0,
	queueAcks: 0,
	doRequests: 0,
	sqlRowsWritten: 0,
	workflowSteps: 0,
};

export const usage = {
	count(counter: UsageCounter, n = 1) {
		counters[counter] += n;
	},
	snapshot(): Record<UsageCounter, number> {
		return { ...counters };
	},
};
