import type { Envelope } from "../../../shared/envelope";
import { faultPlan } from "../../../shared/faults";
import { isMessageType, parsePayload } from "../../../shared/messages";
import { log } from "../../../shared/observability/log";
import { consumeBatch, type Handled, PoisonMessage } from "../../../shared/queue/consume";
import { DEAD_LETTER_QUEUES, EVENT_ROUTES, ownerOf, queueOfShard } from "../../../shared/topology";
import { consumeReadModel, READ_MODEL_QUEUE } from "./read-model";

const SERVICE = "order";

export const orderSaga = (env: OrderEnv, orderId: string) => env.ORDER_SAGA.get(env.ORDER_SAGA.idFromName(orderId));
export const returnSaga = (env: OrderEnv, returnId: string) =>
	env.RETURN_SAGA.get(env.RETURN_SAGA.idFromName(returnId));

type SagaStub = { handle(message: Envelope): Promise<{ outcome: string; reason?: string }> };

/** The objects that run each kind of saga here, by the saga's name: a reply's `replyTo` picks one, and the saga's id the object. */
const SAGA_KINDS: Record<string, (env: OrderEnv, id: string) => SagaStub> = {
	"order-placement": orderSaga,
	"order-return": returnSaga,
};

export const deadLetterBox = (env: OrderEnv) => env.DEAD_LETTER_BOX.get(env.DEAD_LETTER_BOX.idFromName("all"));

function sagaOf(env: OrderEnv, message: Envelope): SagaStub | undefined {
	const to = message.replyTo;
	if (!to) return orderSaga(env, message.correlationId);
	return Object.hasOwn(SAGA_KINDS, to.kind) ? SAGA_KINDS[to.kind]?.(env, to.id) : undefined;
}

/**
 * Replies and events from the other contexts. A reply goes to the saga its command named
 * (`replyTo`); an event, or a reply to a command sent before commands named their saga, to the
 * saga of its order.
 */
async function handleEvent(message: Envelope, env: OrderEnv): Promise<Handled> {
	if (!isMessageType(message.type) || Object.hasOwn(EVENT_ROUTES, message.type)) {
		throw new PoisonMessage(`order does not handle ${message.type}`);
	}
	const payload = parsePayload(message.type, message.payload);
	// The order's own commands (a return's, replayed by an operator) go to the order they name, not to the saga that sent them.
	const saga =
		ownerOf(message.type) === SERVICE ? orderSaga(env, (payload as { orderId: string }).orderId) : sagaOf(env, message);
	if (!saga) throw new PoisonMessage(`no saga of kind ${message.replyTo?.kind} here`);
	const result = await saga.handle({ ...message, payload });
	if (result.outcome === "poison") throw new PoisonMessage(result.reason);
	return result;
}

/** The order Worker consumes its events, the read model's (every shard of each) and every dead-letter queue. */
export async function queue(batch: MessageBatch<unknown>, env: OrderEnv): Promise<void> {
	if (queueOfShard(batch.queue) === READ_MODEL_QUEUE) return consumeReadModel(batch, env);
	const origin = DEAD_LETTER_QUEUES[batch.queue];
	if (origin) {
		await deadLetterBox(env).keep(
			batch.messages.map((m) => ({
				deadLetterQueue: batch.queue,
				originQueue: origin,
				deliveryId: m.id,
				body: m.body,
			})),
		);
		log.warn(SERVICE, "dead-letters.kept", { queue: batch.queue, count: batch.messages.length });
		batch.ackAll();
		return;
	}
	return consumeBatch(batch, SERVICE, env.DEAD_LETTERS, (m) => handleEvent(m, env), faultPlan(env));
}
