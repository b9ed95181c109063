import { z } from "zod";
import {
	ORDER_STATUSES,
	orderDraftSchema,
	orderIdSchema,
	type ReturnDraftBody,
	returnDraftSchema,
	returnIdSchema,
} from "../../../shared/api";
import { commandsEntrypoint } from "../../../shared/commands";
import type { Envelope } from "../../../shared/envelope";
import { faultPlan } from "../../../shared/faults";
import { createApp } from "../../../shared/http/app";
import { ProblemError } from "../../../shared/http/problem";
import { jsonBody, parseOr422 } from "../../../shared/http/validate";
import { actorOf } from "./actor";
import { deadLetterRoutes } from "./dead-letter-routes";
import { linesBySku } from "./domain/order";
import { placementVersionOf } from "./domain/order-saga";
import { countBySagaVersion, countByStatus, listOpenSagas, listOrders, listReturns } from "./orders-db";
import { orderSaga, queue, returnSaga } from "./queues";

export { DeadLetterBox } from "./dead-letter-box-do";
export { OrderSaga } from "./order-saga-do";
export { ReturnSaga } from "./return-saga-do";

const SERVICE = "order";

const app = createApp<OrderEnv>(SERVICE, { internal: true });

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
			orderStatus: cancelled.order?.status,
		});
	}
	return c.json(cancelled.order, 202);
});

/**
 * A return of a delivered order's lines. The order says first whether it may be made (delivered,
 * within the window, no more units than bought and not returned yet), so a refused one stores
 * nothing; the return's saga then asks the order again to hold the units, atomically.
 */
app.post("/orders/:id/returns", async (c) => {
	const orderId = parseOr422(orderIdSchema, c.req.param("id"));
	const draft = await jsonBody(c.req.raw, returnDraftSchema);
	const stub = returnSaga(c.env, draft.returnId);
	const made = (await stub.replay(draft.requestHash)) ?? (await requestReturn(c.env, orderId, draft));
	if (made.result === "conflict" || !made.view) {
		throw new ProblemError(
			422,
			"idempotency_key_reused",
			"This Idempotency-Key was used with a different request body",
		);
	}
	c.header("Location", `/returns/${draft.returnId}`);
	if (made.result === "replayed") c.header("Idempotent-Replayed", "true");
	return c.json(made.view, 202);
});

async function requestReturn(env: OrderEnv, orderId: string, draft: ReturnDraftBody) {
	const lines = linesBySku(draft.lines);
	const quote = await orderSaga(env, orderId).quoteReturn(lines);
	if (quote.result === "not_found") throw notFound();
	if (quote.result === "refused") {
		const { status, code, title, skus } = quote.verdict;
		throw new ProblemError(status, code, title, skus ? { skus } : {});
	}
	const { result: _, ...priced } = quote;
	return returnSaga(env, draft.returnId).request({ ...draft, orderId, lines, ...priced });
}

const returnListSchema = z.strictObject({
	customerId: z.string().min(1).max(100).optional(),
	orderId: orderIdSchema.optional(),
	limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** The read model of returns (D1), newest first: never touches the return objects. */
app.get("/returns", async (c) =>
	c.json(await listReturns(c.env.ORDERS_DB, parseOr422(returnListSchema, c.req.query()))),
);

const returnNotFound = () => new ProblemError(404, "return_not_found", "No such return");

app.get("/returns/:id", async (c) => {
	const view = await returnSaga(c.env, parseOr422(returnIdSchema, c.req.param("id"))).view();
	if (!view) throw returnNotFound();
	return c.json(view);
});

app.get("/returns/:id/history", async (c) => {
	const id = parseOr422(returnIdSchema, c.req.param("id"));
	const stub = returnSaga(c.env, id);
	if (!(await stub.view())) throw returnNotFound();
	return c.json({ returnId: id, entries: await stub.history() });
});

const listQuerySchema = z.strictObject({
	status: z.enum(ORDER_STATUSES).optional(),
	customerId: z.string().min(1).max(100).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(20),
	cursor: z.string().max(200).optional(),
});

/** The read model (D1): never touches the saga objects. */
app.get("/orders", async (c) => {
	const query = parseOr422(listQuerySchema, c.req.query());
	const page = await listOrders(c.env.ORDERS_DB, query);
	if (!page) throw new ProblemError(400, "invalid_cursor", "The cursor is not one this API gave out");
	return c.json(page);
});

app.get("/admin/orders/counts", async (c) => c.json(await countByStatus(c.env.ORDERS_DB)));

/** Orders per placement saga version (from the read model): a version with none active can be retired. */
app.get("/admin/sagas/versions", async (c) =>
	c.json({
		saga: "order-placement",
		current: placementVersionOf(c.env.PLACEMENT_SAGA_VERSION),
		versions: await countBySagaVersion(c.env.ORDERS_DB),
	}),
);

const sagaQuerySchema = z.strictObject({
	attention: z
		.enum(["true", "false"])
		.transform((v) => v === "true")
		.optional(),
	limit: z.coerce.number().int().min(1).max(100).default(20),
	cursor: z.string().max(200).optional(),
});

/** Sagas that need attention and those still running, the longest waiting first (read model). */
app.get("/admin/sagas", async (c) => {
	const query = parseOr422(sagaQuerySchema, c.req.query());
	const page = await listOpenSagas(c.env.ORDERS_DB, query);
	if (!page) throw new ProblemError(400, "invalid_cursor", "The cursor is not one this API gave out");
	return c.json(page);
});

/** The order's saga as a graph of its steps, each with where it stands. */
app.get("/admin/orders/:id/saga", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	const graph = await orderSaga(c.env, id).graph();
	if (!graph) throw notFound();
	return c.json(graph);
});

/** Operator actions on one order's saga; the operator (the gateway's `x-actor`) is recorded in its history. */
const OPERATOR_REFUSALS = {
	nothing_in_flight: ["saga_nothing_in_flight", "Nothing of this saga is in flight to send again"],
	past_pivot: ["saga_past_pivot", "The saga is past its pivot: nothing can be compensated"],
	not_running: ["saga_not_running", "The saga is compensating or finished already"],
} as const;

for (const [action, method] of [
	["retry", "retryNow"],
	["compensate", "compensate"],
] as const) {
	app.post(`/admin/orders/:id/saga/${action}`, async (c) => {
		const id = parseOr422(orderIdSchema, c.req.param("id"));
		const done = await orderSaga(c.env, id)[method](actorOf(c.req.raw), c.req.header("traceparent") ?? "");
		if (done.result === "not_found") throw notFound();
		if (done.result !== "done") {
			const [code, title] = OPERATOR_REFUSALS[done.result];
			throw new ProblemError(409, code, title, { phase: done.order?.saga.phase });
		}
		return c.json(done.order, 202);
	});
}

app.route("/admin/dead-letters", deadLetterRoutes);

app.get("/admin/orders/:id/pending", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	return c.json(await orderSaga(c.env, id).pending());
});

/** What a return's outbox calls over the order Worker's binding to itself: the order's commands, run by the order they name. */
export const Commands = commandsEntrypoint<OrderEnv>(
	SERVICE,
	(env: OrderEnv, m: Envelope) => orderSaga(env, (m.payload as { orderId: string }).orderId),
	faultPlan,
);

export default {
	fetch: app.fetch,
	queue,
} satisfies ExportedHandler<OrderEnv>;
