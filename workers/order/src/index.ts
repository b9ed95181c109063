import { orderDraftSchema, orderIdSchema } from "../../../shared/api";
import type { Envelope } from "../../../shared/envelope";
import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { jsonBody, parseOr422 } from "../../../shared/http/validate";
import { isMessageType, parsePayload } from "../../../shared/messages";
import { consumeBatch, PoisonMessage } from "../../../shared/queue/consume";

export { OrderSaga } from "./order-saga-do";

const SERVICE = "order";

const orderSaga = (env: OrderEnv, orderId: string) => env.ORDER_SAGA.get(env.ORDER_SAGA.idFromName(orderId));

const app = createApp<OrderEnv>(SERVICE);

const notFound = () => new ProblemError(404, "order_not_found", "No such order");

app.post("/orders", async (c) => {
	const draft = await jsonBody(c.req.raw, orderDraftSchema);
	const placed = await orderSaga(c.env, draft.orderId).place(draft);
	if (placed.result === "conflict" || !placed.order) {
		throw new ProblemError(
			422,
			"idempotency_key_reused",
			"This Idempotency-Key was used with a different request body",
		);
	}
	c.header("Location", `/orders/${draft.orderId}`);
	if (placed.result === "replayed") c.header("Idempotent-Replayed", "true");
	return c.json(placed.order, 202);
});

app.get("/orders/:id", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	const order = await orderSaga(c.env, id).view();
	if (!order) throw notFound();
	return c.json(order);
});

app.get("/orders/:id/history", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	const stub = orderSaga(c.env, id);
	if (!(await stub.view())) throw notFound();
	return c.json({ orderId: id, entries: await stub.history() });
});

app.post("/orders/:id/cancel", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	const cancelled = await orderSaga(c.env, id).cancel(c.req.header("traceparent") ?? "");
	if (cancelled.result === "not_found") throw notFound();
	if (cancelled.result === "refused") {
		throw new ProblemError(409, "order_not_cancellable", "The order can no longer be cancelled", {
			status: cancelled.order?.status,
		});
	}
	return c.json(cancelled.order, 202);
});

app.get("/admin/orders/:id/pending", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	return c.json(await orderSaga(c.env, id).pending());
});

/** Replies and domain events from the other contexts, each to the saga of its order. */
async function handleEvent(message: Envelope, env: OrderEnv): Promise<void> {
	if (!isMessageType(message.type) || message.type.split(".")[0] === SERVICE) {
		throw new PoisonMessage(`order does not handle ${message.type}`);
	}
	const payload = parsePayload(message.type, message.payload);
	const result = await orderSaga(env, message.correlationId).handle({ ...message, payload });
	if (result.outcome === "poison") throw new PoisonMessage(result.reason);
}

export default {
	fetch: app.fetch,
	queue: (batch, env) => consumeBatch(batch, SERVICE, env.DEAD_LETTERS, (m) => handleEvent(m, env)),
} satisfies ExportedHandler<OrderEnv>;
