import type { Envelope } from "../../../shared/envelope";
import { parsePayload } from "../../../shared/messages";
import { PoisonMessage } from "../../../shared/queue/consume";
import { consumeTogether } from "../../../shared/queue/consume-together";
import { EVENT_QUEUES, eventsOn } from "../../../shared/topology";
import { applySummaries } from "./orders-db";

export const READ_MODEL_QUEUE = "order-read-model";
const ACCEPTED = new Set<string>(eventsOn(READ_MODEL_QUEUE));

function summaryOf(message: Envelope) {
	if (!ACCEPTED.has(message.type)) throw new PoisonMessage(`the read model does not take ${message.type}`);
	return parsePayload(message.type as "order.summary-changed", message.payload);
}

/**
 * Feeds the read model (D1) from the order's events: one D1 batch per queue batch, so the batch is
 * applied or retried as a whole. The database keeps the newest revision of each order, so a repeat
 * or an older event arriving late changes nothing.
 */
export function consumeReadModel(batch: MessageBatch<unknown>, env: OrderEnv): Promise<void> {
	const deadLetters = env[EVENT_QUEUES[READ_MODEL_QUEUE].deadLetters];
	return consumeTogether(batch, "order", deadLetters, summaryOf, async (summaries) => {
		await applySummaries(env.ORDERS_DB, summaries);
	});
}
