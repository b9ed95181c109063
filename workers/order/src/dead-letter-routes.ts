import { Hono } from "hono";
import { redriveFilterSchema } from "../../../shared/api";
import { ProblemError } from "../../../shared/http/problem";
import { jsonBody } from "../../../shared/http/validate";
import { producerFor } from "../../../shared/queue/shards";
import { QUEUES, shardFor, shardsOf } from "../../../shared/topology";
import { actorOf } from "./actor";
import { deadLetterBox } from "./queues";

/** A queue takes at most this many messages in one send. */
const SEND_BATCH = 100;

/** The order a kept message belongs to, which picks its queue's shard; a body that names none goes to the shard of "". */
const correlationIdOf = (message: string): string => {
	const body = JSON.parse(message) as { correlationId?: unknown } | null;
	return typeof body?.correlationId === "string" ? body.correlationId : "";
};

/** A queue can be replayed onto when this Worker binds every one of its shards. */
const replayableQueue = (env: OrderEnv, queue: string) =>
	shardsOf(queue).every((s) => (env as unknown as Record<string, unknown>)[s.producer] !== undefined);

/** Dead letters: listed, replayed one by one or redriven in bulk by filter. Consumers deduplicate by message id, so even a repeat would change nothing. */
export const deadLetterRoutes = new Hono<{ Bindings: OrderEnv }>();

deadLetterRoutes.get("/", async (c) => c.json({ items: await deadLetterBox(c.env).list() }));

/** Puts a dead letter back on its queue, once. */
deadLetterRoutes.post("/:id/replay", async (c) => {
	const box = deadLetterBox(c.env);
	const taken = await box.takeForReplay(c.req.param("id"), actorOf(c.req.raw));
	if (!taken.found) throw new ProblemError(404, "dead_letter_not_found", "No such dead letter");
	if (taken.alreadyReplayed || !taken.queue || !taken.message) return c.json({ replayed: false, letter: taken.letter });
	const producer = producerFor(c.env, taken.queue, correlationIdOf(taken.message));
	if (!producer) {
		await box.replayFailed([c.req.param("id")]);
		throw new ProblemError(409, "queue_not_replayable", "This dead letter's queue cannot be replayed");
	}
	try {
		await producer.send(JSON.parse(taken.message), { contentType: "json" });
	} catch (error) {
		await box.replayFailed([c.req.param("id")]);
		throw error;
	}
	return c.json({ replayed: true, letter: taken.letter }, 202);
});

/**
 * Puts every dead letter that matches the filter (and has not been replayed) back on its queue,
 * oldest first, a queue's letters in batches. Letters whose batch could not be sent stay for the next redrive.
 */
deadLetterRoutes.post("/redrive", async (c) => {
	const filter = await jsonBody(c.req.raw, redriveFilterSchema);
	if (filter.queue !== undefined && !QUEUES[filter.queue])
		throw new ProblemError(422, "queue_not_found", "No such queue", { queues: Object.keys(QUEUES) });
	const replayable = Object.keys(QUEUES).filter((q) => replayableQueue(c.env, q));
	const box = deadLetterBox(c.env);
	const taken = await box.takeForRedrive(filter, replayable, actorOf(c.req.raw));
	const redriven: string[] = [];
	const failed: string[] = [];
	// Each letter goes back to its order's shard of its queue; a shard's letters in batches.
	const byShard = new Map<string, typeof taken>();
	for (const l of taken) {
		const { producer } = shardFor(l.queue, correlationIdOf(l.message));
		byShard.set(producer, [...(byShard.get(producer) ?? []), l]);
	}
	for (const [producer, letters] of byShard) {
		const queue = (c.env as unknown as Record<string, Queue>)[producer] as Queue;
		for (let i = 0; i < letters.length; i += SEND_BATCH) {
			const batch = letters.slice(i, i + SEND_BATCH);
			try {
				await queue.sendBatch(batch.map((l) => ({ body: JSON.parse(l.message), contentType: "json" as const })));
				redriven.push(...batch.map((l) => l.id));
			} catch {
				failed.push(...batch.map((l) => l.id));
			}
		}
	}
	if (failed.length) await box.replayFailed(failed);
	return c.json({ redriven: redriven.length, letters: redriven, failed }, redriven.length ? 202 : 200);
});
