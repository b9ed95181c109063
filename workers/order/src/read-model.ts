import type { Envelope } from "../../../shared/envelope";
import { type Payload, parsePayload } from "../../../shared/messages";
import { PoisonMessage } from "../../../shared/queue/consume";
import { consumeTogether } from "../../../shared/queue/consume-together";
import { EVENT_QUEUES, eventsOn } from "../../../shared/topology";
import { applySummaries } from "./orders-db";

export const READ_MODEL_QUEUE = "order-read-model";
const ACCEPTED = new Set<string>(eventsOn(READ_MODEL_QUEUE));

type News =
	| { kind: "order"; summary: Payload<"order.summary-changed"> }
	| { kind: "return"; summary: Payload<"order.return-changed"> };

function summaryOf(message: Envelope): News {
	if (!ACCEPTED.has(message.type)) throw new PoisonMessage(`the read model does not take ${message.type}`);
	if (message.type === "order.return-changed")
		return { kind: "return", summary: parsePayload("order.return-changed", message.payload) };
	return { kind: "order", summary: parsePayload(message.type as "order.summary-changed", message.payload) };
}

/**
 * Feeds the read model (D1) from the order's events: one D1 batch per queue batch, so the batch is
 * applied or retried as a whole. The database keeps the newest revision of each order, so a repeat
 * or an older event arriving late changes nothing.
 */
export function consumeReadModel(batch: MessageBatch<unknown>, env: OrderEnv): Promise<void> {
	const deadLetters = env[EVENT_QUEUES[READ_MODEL_QUEUE].deadLetters];
	return consumeTogether(batch, "order", deadLetters, summaryOf, async (news) => {
		const of = <K extends News["kind"]>(kind: K) =>
			news.flatMap((n) => (n.kind === kind ? [n.summary as Extract<News, { kind: K }>["summary"]] : []));
		await applySummaries(env.ORDERS_DB, of("order"), of("return"));
	});
}
