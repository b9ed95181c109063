import { Hono } from "hono";
import { redriveFilterSchema } from "../../../shared/api";
import { ProblemError } from "../../../shared/http/problem";
import { jsonBody } from "../../../shared/http/validate";
import { QUEUES } from "../../../shared/topology";
import { actorOf } from "./actor";
import { deadLetterBox, producerOf } from "./queues";

/** A queue takes at most this many messages in one send. */
const SEND_BATCH = 100;

/** Dead letters: listed, replayed one by one or redriven in bulk by filter. Consumers deduplicate by message id, so even a repeat would change nothing. */
export const deadLetterRoutes = new Hono<{ Bindings: OrderEnv }>();

deadLetterRoutes.get("/", async (c) => c.json({ items: await deadLetterBox(c.env).list() }));

/** Puts a dead letter back on its queue, once. */
deadLetterRoutes.post("/:id/replay", async (c) => {
	const box = deadLetterBox(c.env);
	const taken = await box.takeForReplay(c.req.param("id"), actorOf(c.req.raw));
	if (!taken.found) throw new ProblemError(404, "dead_letter_not_found", "No such dead letter");
	if (taken.alreadyReplayed || !taken.queue || !taken.message) return c.json({ replayed: false, letter: taken.letter });
	const producer = producerOf(c.env, taken.queue);
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
	const replayable = Object.keys(QUEUES).filter((q) => producerOf(c.env, q));
	const box = deadLetterBox(c.env);
	const taken = await box.takeForRedrive(filter, replayable, actorOf(c.req.raw));
	const redriven: string[] = [];
	const failed: string[] = [];
	for (const queue of new Set(taken.map((l) => l.queue))) {
		const letters = taken.filter((l) => l.queue === queue);
		for (let i = 0; i < letters.length; i += SEND_BATCH) {
			const batch = letters.slice(i, i + SEND_BATCH);
			try {
				await producerOf(c.env, queue)?.sendBatch(
					batch.map((l) => ({ body: JSON.parse(l.message), contentType: "json" as const })),
				);
				redriven.push(...batch.map((l) => l.id));
			} catch {
				failed.push(...batch.map((l) => l.id));
			}
		}
	}
	if (failed.length) await box.replayFailed(failed);
	return c.json({ redriven: redriven.length, letters: redriven, failed }, redriven.length ? 202 : 200);
});
