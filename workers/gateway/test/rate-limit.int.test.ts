import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, bearer, call, orderBody, uniqueSku } from "./gateway";

/** wrangler.toml's `[[ratelimits]]` ORDER_RATE_LIMIT: 30 order placements per customer per 60 s. */
const LIMIT = 30;
const PERIOD_MS = 60_000;

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The local limiter counts in fixed windows on the clock: start with enough of one left that a burst fits in it. */
async function freshWindow() {
	const left = PERIOD_MS - (Date.now() % PERIOD_MS);
	if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
}

describe("POST /orders is rate-limited per customer", () => {
	it(`lets ${LIMIT} placements through, then answers 429 with Retry-After and stores nothing`, async () => {
		const sku = uniqueSku("RATE");
		await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 10, unitPrice: 100 } });
		const customer = `rate-${sku}`;
		const auth = await bearer(customer);
		const body = { ...orderBody(sku), customerId: undefined };
		await freshWindow();
		// Every attempt counts, a refused one too: these stop at the missing Idempotency-Key.
		for (let i = 0; i < LIMIT - 1; i++) {
			const res = await call("POST", "/orders", { auth, body });
			expect(res.status).toBe(400);
		}
		const last = await call("POST", "/orders", { auth, body, headers: { "idempotency-key": "last" } });
		expect(last.status).toBe(202);

		const over = await call("POST", "/orders", { auth, body, headers: { "idempotency-key": "over" } });
		expect(over.status).toBe(429);
		expect(over.headers.get("content-type")).toBe("application/problem+json");
		expect(over.headers.get("retry-after")).toBe(env.ORDER_RATE_LIMIT_PERIOD);
		expect(over.json).toMatchObject({ status: 429, code: "rate_limited", retryAfterSeconds: 60 });
		// Nothing stored: the order that key would have made does not exist.
		const id = `ord_${(await sha256Hex(JSON.stringify([customer, "over"]))).slice(0, 24)}`;
		expect((await call("GET", `/orders/${id}`, { auth: ADMIN })).status).toBe(404);

		// The limit is the customer's own: another customer places orders, and reads are never limited.
		const other = await call("POST", "/orders", {
			auth: await bearer(`other-${sku}`),
			body,
			headers: { "idempotency-key": "over" },
		});
		expect(other.status).toBe(202);
		expect((await call("GET", `/orders/${last.json.id}`, { auth })).status).toBe(200);
	}, 40_000);
});
