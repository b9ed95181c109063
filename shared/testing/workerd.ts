import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import type { Envelope } from "../envelope";
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

/** Delivers bodies to a Worker's queue handler as one real batch and returns what it acked and retried. */
export async function deliver<E>(
	worker: { queue: (b: MessageBatch<unknown>, env: E, ctx: ExecutionContext) => Promise<void> },
	env: E,
	queue: string,
	bodies: unknown[],
) {
	const batch = createMessageBatch(queue, deliveries(bodies));
	const ctx = createExecutionContext();
	await worker.queue(batch, env, ctx);
	return getQueueResult(batch, ctx);
}
