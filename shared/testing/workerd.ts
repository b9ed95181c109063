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

type Waiting = { to: string; message: { type: string } };

/**
 * The outbox rows still waiting in an object, oldest first: its `outbox` table's (a row holds all
 * one decision staged; earlier versions wrote a row per message), then its journal rows' (a saga
 * object keeps a decision's messages in its journal row until they have left).
 */
function waitingRows(sql: SqlStorage): Waiting[][] {
	const table = sql
		.exec<{ queue: string; body: string }>("SELECT queue, body FROM outbox ORDER BY seq")
		.toArray()
		.map((r) =>
			r.queue === "batch" ? (JSON.parse(r.body) as Waiting[]) : [{ to: r.queue, message: JSON.parse(r.body) }],
		);
	const journaled = sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'journal'").toArray().length > 0;
	const journal = journaled
		? sql
				.exec<{ outbox: string }>("SELECT outbox FROM journal WHERE outbox IS NOT NULL ORDER BY seq")
				.toArray()
				.map((r) => JSON.parse(r.outbox) as Waiting[])
		: [];
	return [...table, ...journal];
}

/** The messages waiting in an object's outbox, where each goes. */
export function outboxMessages(stub: DurableObjectStub): Promise<{ to: string; type: string }[]> {
	return runInDurableObject(stub, (_: unknown, state: DurableObjectState) =>
		waitingRows(state.storage.sql).flatMap((row) => row.map((i) => ({ to: i.to, type: i.message.type }))),
	);
}

/**
 * Waits, inside the object, for the relay it may still run after it answered (a placement answers
 * after the first pass), and for any pass that relay asked for.
 */
export function relayDone(stub: DurableObjectStub): Promise<void> {
	return runInDurableObject(stub, async (instance: unknown) => {
		const object = instance as { relaying: Promise<void> | null };
		while (object.relaying) await object.relaying;
	});
}

/** How many outbox rows (one per decision) still wait in an object. */
export function outboxRows(stub: DurableObjectStub): Promise<number> {
	return runInDurableObject(stub, (_: unknown, state: DurableObjectState) => waitingRows(state.storage.sql).length);
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
