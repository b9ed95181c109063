import { Hono } from "hono";
import { orderIdSchema, redriveFilterSchema, returnIdSchema, reviewInputSchema } from "../../../../shared/api";
import { envelopeSchema } from "../../../../shared/envelope";
import { ProblemError } from "../../../../shared/http/problem";
import { jsonBody, parseOr422 } from "../../../../shared/http/validate";
import { renderMetrics, seriesLines } from "../../../../shared/observability/metrics";
import { usage } from "../../../../shared/observability/usage";
import { producerFor } from "../../../../shared/queue/shards";
import { QUEUES } from "../../../../shared/topology";
import { requireScope } from "../auth";
import { forward } from "../forward";
import { NOT_FOUND } from "../ownership";
import type { Gateway } from "../vars";

export const adminRoutes = new Hono<Gateway>();

adminRoutes.use(requireScope("admin"));

/**
 * Publishes a message onto a queue as it is: replaying a lost message, onto the shard of the queue
 * its order's messages go to. Consumers deduplicate by id.
 */
adminRoutes.post("/queues/:queue/messages", async (c) => {
	const queue = c.req.param("queue");
	if (!Object.hasOwn(QUEUES, queue))
		throw new ProblemError(404, "queue_not_found", "No such queue", { queues: Object.keys(QUEUES) });
	const message = await jsonBody(c.req.raw, envelopeSchema);
	const producer = producerFor(c.env, queue, message.correlationId);
	if (!producer) throw new Error(`the gateway binds no producer of ${queue}'s shard for ${message.correlationId}`);
	await producer.send(message, { contentType: "json" });
	return c.json({ queued: message.id, queue: c.req.param("queue") }, 202);
});

/** A reviewer's decision on a payment held for review (approve or decline), passed to billing as it is. */
adminRoutes.post("/payments/:orderId/review", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("orderId"));
	const body = await jsonBody(c.req.raw, reviewInputSchema);
	return forward(c, c.env.BILLING, `/admin/payments/${id}/review`, { method: "POST", body });
});

adminRoutes.get("/ledger", (c) => forward(c, c.env.INVENTORY, "/admin/ledger"));
adminRoutes.get("/reservations", (c) => forward(c, c.env.INVENTORY, "/admin/reservations"));
/** Every return's units put back on the shelf, per return and SKU. */
adminRoutes.get("/restocks", (c) => forward(c, c.env.INVENTORY, "/admin/restocks"));
/** What waits in the outbox of the objects that are not one per order (each SKU's stock object): per-order objects answer in /orders/{id}/state. */
adminRoutes.get("/outboxes", (c) => forward(c, c.env.INVENTORY, "/admin/pending"));
adminRoutes.get("/dead-letters", (c) => forward(c, c.env.ORDER, "/admin/dead-letters"));
/** Redrives every dead letter that matches a filter (queue, type, reason, orderId, receivedBefore), oldest first, up to `limit`. */
adminRoutes.post("/dead-letters/redrive", async (c) =>
	forward(c, c.env.ORDER, "/admin/dead-letters/redrive", {
		method: "POST",
		body: await jsonBody(c.req.raw, redriveFilterSchema),
	}),
);
adminRoutes.post("/dead-letters/:id/replay", (c) =>
	forward(c, c.env.ORDER, `/admin/dead-letters/${encodeURIComponent(c.req.param("id"))}/replay`, {
		method: "POST",
		body: {},
	}),
);
/** Billable operations counted by every Worker since it started, added up: what the bench reads. */
adminRoutes.get("/usage", async (c) => {
	const parts = await Promise.all(
		[c.env.ORDER, c.env.INVENTORY, c.env.BILLING, c.env.SHIPPING].map((s) =>
			read(s, "/admin/usage", c.get("traceparent")),
		),
	);
	const total: Record<string, number> = { ...usage.snapshot() };
	for (const part of parts as Record<string, unknown>[]) {
		for (const [k, v] of Object.entries(part)) if (typeof v === "number") total[k] = (total[k] ?? 0) + v;
	}
	return c.json(total);
});

/** RED metrics of every service in the Prometheus text format: the gateway's own, then each context's series. */
adminRoutes.get("/metrics", async (c) => {
	const parts = await Promise.all(
		[c.env.ORDER, c.env.INVENTORY, c.env.BILLING, c.env.SHIPPING].map(async (s) => {
			const res = await s.fetch("https://internal/admin/metrics", { headers: { traceparent: c.get("traceparent") } });
			return res.ok ? seriesLines(await res.text()) : [];
		}),
	);
	return c.text(`${[renderMetrics().trimEnd(), ...parts.flat()].join("\n")}\n`, 200, {
		"content-type": "text/plain; version=0.0.4",
	});
});

/** One trace: every span the telemetry Worker keeps for it, in start order. */
adminRoutes.get("/traces/:traceId", (c) => {
	const traceId = c.req.param("traceId");
	if (!/^[0-9a-f]{32}$/.test(traceId)) throw new ProblemError(422, "validation_failed", "A trace id is 32 hex digits");
	return forward(c, c.env.TELEMETRY, `/traces/${traceId}`);
});

/** The trace of one order: the trace its placement started (its history records it), spans from every service. */
adminRoutes.get("/orders/:id/trace", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	const { traceId, spans } = await traceOf(c.env, `/orders/${id}/history`, c.get("traceparent"), () =>
		NOT_FOUND.order(),
	);
	return c.json({ orderId: id, traceId, spans });
});

/** The trace of one return: the request that made it, which its commands and their replies continue. */
adminRoutes.get("/returns/:id/trace", async (c) => {
	const id = parseOr422(returnIdSchema, c.req.param("id"));
	const { traceId, spans } = await traceOf(c.env, `/returns/${id}/history`, c.get("traceparent"), () =>
		NOT_FOUND.return(),
	);
	return c.json({ returnId: id, traceId, spans });
});

/** The trace a saga's history starts with, and the spans telemetry keeps of it (none when it kept none). */
async function traceOf(
	env: Gateway["Bindings"],
	historyPath: string,
	traceparent: string,
	missing: () => ProblemError,
) {
	const history = (await read(env.ORDER, historyPath, traceparent)) as { entries: { traceId: string | null }[] } | null;
	const traceId = history?.entries[0]?.traceId;
	if (!traceId) throw missing();
	const trace = (await read(env.TELEMETRY, `/traces/${traceId}`, traceparent)) as { spans: unknown[] } | null;
	return { traceId, spans: trace?.spans ?? [] };
}

/** Sagas that need attention and those still running, the longest waiting first (order's read model; it validates the query). */
adminRoutes.get("/sagas", (c) => forward(c, c.env.ORDER, `/admin/sagas${new URL(c.req.url).search}`));
/** The order's saga as a graph of its steps, each with where it stands. */
adminRoutes.get("/orders/:id/saga", (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	return forward(c, c.env.ORDER, `/admin/orders/${id}/saga`);
});
/** Operator actions on an order's saga: retry now, compensate; the order records the admin who acted. */
for (const action of ["retry", "compensate"] as const) {
	adminRoutes.post(`/orders/:id/saga/${action}`, (c) => {
		const id = parseOr422(orderIdSchema, c.req.param("id"));
		return forward(c, c.env.ORDER, `/admin/orders/${id}/saga/${action}`, { method: "POST", body: {} });
	});
}
adminRoutes.get("/orders/counts", (c) => forward(c, c.env.ORDER, "/admin/orders/counts"));
/** Orders per placement saga version and phase: how an operator knows a version can be retired. */
adminRoutes.get("/sagas/versions", (c) => forward(c, c.env.ORDER, "/admin/sagas/versions"));

async function read(service: Fetcher, path: string, traceparent: string) {
	const res = await service.fetch(`https://internal${path}`, { headers: { traceparent } });
	if (res.status === 404) return null;
	if (!res.ok) throw new Error(`${path} answered ${res.status}`);
	return res.json();
}

/** Everything every context holds about one order, with what is still waiting in each object's outbox: what an invariant checker reads. */
adminRoutes.get("/orders/:id/state", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	const tp = c.get("traceparent");
	const [order, history, orderPending, payment, paymentPending, shipment, shipmentPending] = await Promise.all([
		read(c.env.ORDER, `/orders/${id}`, tp),
		read(c.env.ORDER, `/orders/${id}/history`, tp),
		read(c.env.ORDER, `/admin/orders/${id}/pending`, tp),
		read(c.env.BILLING, `/payments/${id}`, tp),
		read(c.env.BILLING, `/admin/payments/${id}/pending`, tp),
		read(c.env.SHIPPING, `/shipments/${id}`, tp),
		read(c.env.SHIPPING, `/admin/shipments/${id}/pending`, tp),
	]);
	if (!order) throw new ProblemError(404, "order_not_found", "No such order");
	return c.json({
		order,
		history: (history as { entries: unknown[] }).entries,
		payment,
		shipment,
		pending: { order: orderPending, payment: paymentPending, shipment: shipmentPending },
	});
});
