import { Hono } from "hono";
import {
	type OrderDraft,
	orderIdSchema,
	placeOrderSchema,
	type ReturnDraftBody,
	returnRequestSchema,
} from "../../../../shared/api";
import { ProblemError } from "../../../../shared/http/problem";
import { jsonBody, parseOr422 } from "../../../../shared/http/validate";
import { requireScope } from "../auth";
import { forward } from "../forward";
import { NOT_FOUND, readOrder, requireOwnOrder } from "../ownership";
import { priceLines } from "../prices";
import { orderRateLimit } from "../rate-limit";
import type { Gateway } from "../vars";

export const orderRoutes = new Hono<Gateway>();

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

orderRoutes.use(requireScope("customer"));

/**
 * Places an order for the caller: the customer is the token's, and a body naming another one is
 * refused (403) rather than silently rewritten. The order id is derived from the customer and the
 * Idempotency-Key, so keys are per customer and every repeat of a request reaches the same order
 * object, which replays its first answer (or refuses another body with 422); concurrent repeats
 * are serialized there.
 */
function idempotencyKey(header: string | undefined, route: string): string {
	if (header === undefined)
		throw new ProblemError(400, "idempotency_key_missing", `${route} needs an Idempotency-Key header`);
	if (!IDEMPOTENCY_KEY.test(header)) {
		throw new ProblemError(
			400,
			"idempotency_key_invalid",
			"The Idempotency-Key must be 1-255 visible ASCII characters",
		);
	}
	return header;
}

orderRoutes.post("/", orderRateLimit, async (c) => {
	const key = idempotencyKey(c.req.header("idempotency-key"), "POST /orders");
	const { customerId: named, ...body } = await jsonBody(c.req.raw, placeOrderSchema);
	const { customerId } = c.get("caller");
	if (named !== undefined && named !== customerId)
		throw new ProblemError(403, "customer_mismatch", "An order can be placed only for the customer the token names");
	const repeated = [...new Set(body.items.map((i) => i.sku).filter((sku, i, all) => all.indexOf(sku) !== i))];
	if (repeated.length > 0)
		throw new ProblemError(422, "duplicate_sku", "Name each SKU once, with its whole quantity", { skus: repeated });
	// The same request with or without the (matching) customerId field is one request, and hashes alike.
	const order = { customerId, ...body };
	const draft: OrderDraft = {
		...order,
		items: await priceLines(c.env, order.items),
		// JSON keeps the two parts apart: no customer id and key can pass for another pair.
		orderId: `ord_${(await sha256Hex(JSON.stringify([customerId, key]))).slice(0, 24)}`,
		requestHash: await sha256Hex(JSON.stringify(order)),
		currency: c.env.CURRENCY,
		traceparent: c.get("traceparent"),
	};
	return forward(c, c.env.ORDER, "/orders", { method: "POST", body: draft });
});

/**
 * The read model: filters and cursor pagination, answered without touching the saga objects. A
 * customer lists only their own orders, whatever customerId the query names; an admin, anyone's.
 */
orderRoutes.get("/", (c) => {
	const query = new URLSearchParams(c.req.query());
	const caller = c.get("caller");
	if (!caller.admin) query.set("customerId", caller.customerId);
	return forward(c, c.env.ORDER, `/orders?${query}`);
});

orderRoutes.get("/:id", (c) => readOrder(c, parseOr422(orderIdSchema, c.req.param("id"))));

orderRoutes.get("/:id/history", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	await requireOwnOrder(c, id, NOT_FOUND.order);
	return forward(c, c.env.ORDER, `/orders/${id}/history`);
});

/**
 * Returns lines of one of the caller's delivered orders (an admin: of anyone's). The return's id
 * is derived from the order, the caller and the Idempotency-Key, as an order's is, so a repeat
 * reaches the same return, which replays its first answer.
 */
orderRoutes.post("/:id/returns", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	const key = idempotencyKey(c.req.header("idempotency-key"), "POST /orders/{id}/returns");
	const body = await jsonBody(c.req.raw, returnRequestSchema);
	const repeated = [...new Set(body.lines.map((l) => l.sku).filter((sku, i, all) => all.indexOf(sku) !== i))];
	if (repeated.length > 0)
		throw new ProblemError(422, "duplicate_sku", "Name each SKU once, with its whole quantity", { skus: repeated });
	await requireOwnOrder(c, id, NOT_FOUND.order);
	const { customerId } = c.get("caller");
	const draft: ReturnDraftBody = {
		...body,
		customerId,
		returnId: `ret_${(await sha256Hex(JSON.stringify([id, customerId, key]))).slice(0, 24)}`,
		requestHash: await sha256Hex(JSON.stringify(body)),
		traceparent: c.get("traceparent"),
	};
	return forward(c, c.env.ORDER, `/orders/${id}/returns`, { method: "POST", body: draft });
});

orderRoutes.post("/:id/cancel", async (c) => {
	const id = parseOr422(orderIdSchema, c.req.param("id"));
	await requireOwnOrder(c, id, NOT_FOUND.order);
	return forward(c, c.env.ORDER, `/orders/${id}/cancel`, { method: "POST", body: {} });
});
