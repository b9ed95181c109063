import { Hono } from "hono";
import { type OrderDraft, orderIdSchema, placeOrderSchema, stockSchema } from "../../../../shared/api";
import { ProblemError } from "../../../../shared/http/problem";
import { jsonBody, parseOr422 } from "../../../../shared/http/validate";
import { requireScope } from "../auth";
import { forward } from "../forward";
import type { Gateway } from "../vars";

export const orderRoutes = new Hono<Gateway>();

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Current prices of the ordered SKUs, read from inventory; an unknown SKU is the client's mistake. */
async function priceLines(env: GatewayEnv, lines: { sku: string; quantity: number }[]) {
	const query = new URLSearchParams(lines.map((l) => ["sku", l.sku]));
	const res = await env.INVENTORY.fetch(`https://internal/inventory?${query}`);
	if (!res.ok) throw new Error(`inventory answered ${res.status}`);
	const { items } = (await res.json()) as { items: unknown[] };
	const prices = new Map(items.map((i) => stockSchema.parse(i)).map((s) => [s.sku, s.unitPrice]));
	const unknown = [...new Set(lines.map((l) => l.sku).filter((sku) => !prices.has(sku)))];
	if (unknown.length > 0) throw new ProblemError(422, "unknown_sku", "Some SKUs are not sold here", { skus: unknown });
	return lines.map((l) => ({ ...l, unitPrice: prices.get(l.sku) as number }));
}

orderRoutes.use(requireScope("customer"));

/**
 * Places an order. The order id is derived from the caller and its Idempotency-Key, so every
 * repeat of a request reaches the same order object, which replays its first answer (or refuses
 * another body with 422); concurrent repeats are serialized there.
 */
orderRoutes.post("/", async (c) => {
	const key = c.req.header("idempotency-key");
	if (key === undefined)
		throw new ProblemError(400, "idempotency_key_missing", "POST /orders needs an Idempotency-Key header");
	if (!IDEMPOTENCY_KEY.test(key)) {
		throw new ProblemError(
			400,
			"idempotency_key_invalid",
			"The Idempotency-Key must be 1-255 visible ASCII characters",
		);
	}
	const order = await jsonBody(c.req.raw, placeOrderSchema);
	const draft: OrderDraft = {
		...order,
		items: await priceLines(c.env, order.items),
		orderId: `ord_${(await sha256Hex(`${c.get("principal")}:${key}`)).slice(0, 24)}`,
		requestHash: await sha256Hex(JSON.stringify(order)),
		currency: c.env.CURRENCY,
		traceparent: c.get("traceparent"),
	};
	return forward(c, c.env.ORDER, "/orders", { method: "POST", body: draft });
});

/** The read model: filters and cursor pagination, answered without touching the saga objects. */
orderRoutes.get("/", (c) => forward(c, c.env.ORDER, `/orders?${new URLSearchParams(c.req.query())}`));

orderRoutes.get("/:id", (c) => forward(c, c.env.ORDER, `/orders/${parseOr422(orderIdSchema, c.req.param("id"))}`));

orderRoutes.get("/:id/history", (c) =>
	forward(c, c.env.ORDER, `/orders/${parseOr422(orderIdSchema, c.req.param("id"))}/history`),
);

orderRoutes.post("/:id/cancel", (c) =>
	forward(c, c.env.ORDER, `/orders/${parseOr422(orderIdSchema, c.req.param("id"))}/cancel`, {
		method: "POST",
		body: {},
	}),
);
