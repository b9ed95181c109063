import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import type { Envelope } from "../envelope";
import { QUEUES, shardFor } from "../topology";
import { deliveries } from "./messages";

/** What a messaging object recorded as its replies to a message, read from its inbox. */
export function recordedReplies(stub: DurableObjectStub, messageId: string): Promise<Envelope[] | null> {
	return runInDurableObject(stub, (_: unknown, state: DurableObjectState) => {
		const row = state.storage.sql
			.exec<{ replies: string }>("SELECT replies FROM inbox WHERE id = ?", messageId)
			.toArray()[0];
		return row ? (JSON.parse(row.replies) as { message: Envelope }[]).map((r) => r.message) : null;
	});
}

/** Rows still waiting in a messaging object's outbox. */
/** The messages waiting in an object's outbox, where each goes (a row holds all that one decision staged). */
export function outboxMessages(stub: DurableObjectStub): Promise<{ to: string; type: string }[]> {
	return runInDurableObject(stub, (_: unknown, state: DurableObjectState) =>
		state.storage.sql
			.exec<{ queue: string; body: string }>("SELECT queue, body FROM outbox ORDER BY seq")
			.toArray()
			.flatMap((r) =>
				r.queue === "batch"
					? (JSON.parse(r.body) as { to: string; message: { type: string } }[]).map((i) => ({
							to: i.to,
							type: i.message.type,
						}))
					: [{ to: r.queue, type: (JSON.parse(r.body) as { type: string }).type }],
			),
	);
}

export function outboxRows(stub: DurableObjectStub): Promise<number> {
	return runInDurableObject(
		stub,
		(_: unknown, state: DurableObjectState) =>
			state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
	);
}

/**
 * The real queue a batch of these bodies arrives on: for a queue of the topology, the shard its
 * producers pick for the first body's order (shard 0 when it names none); any other name as it is.
 */
export function shardNamed(queue: string, bodies: unknown[]): string {
	if (!Object.hasOwn(QUEUES, queue)) return queue;
	const first = bodies[0] as { correlationId?: unknown } | null | undefined;
	return typeof first?.correlationId === "string" ? shardFor(queue, first.correlationId).queue : queue;
}

/**
 * Delivers bodies to a Worker's queue handler as one real batch, on the shard of `queue` that the
 * first body's order picks, and returns what it acked and retried.
 */
export async function deliver<E>(
	worker: { queue: (b: MessageBatch<unknown>, env: E, ctx: ExecutionContext) => Promise<void> },
	env: E,
	queue: string,
	bodies: unknown[],
) {
	const batch = createMessageBatch(shardNamed(queue, bodies), deliveries(bodies));
	const ctx = createExecutionContext();
	await worker.queue(batch, env, ctx);
	return getQueueResult(batch, ctx);
}
