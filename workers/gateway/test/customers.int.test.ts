import { describe, expect, it } from "vitest";
import { ADMIN, bearer, call, orderBody, uniqueSku } from "./gateway";

/**
 * Per-customer authorization, through the real order, billing and shipping Workers: an order
 * belongs to the customer whose token placed it. Someone else's order answers exactly as a
 * missing one does; an admin sees every order.
 */
const MISSING = `ord_${"e".repeat(24)}`;

/** A problem answer with its path taken out: what must not tell another customer's order from none. */
const withoutPath = (json: Record<string, unknown>) => ({ ...json, instance: undefined });

async function twoCustomers(prefix: string) {
	const sku = uniqueSku(prefix);
	expect((await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 50, unitPrice: 700 } })).status).toBe(
		200,
	);
	const ada = { id: `ada-${sku}`, auth: await bearer(`ada-${sku}`) };
	const bob = { id: `bob-${sku}`, auth: await bearer(`bob-${sku}`) };
	const place = async (who: typeof ada, key: string) => {
		const res = await call("POST", "/orders", {
			auth: who.auth,
			headers: { "idempotency-key": key },
			body: { ...orderBody(sku), customerId: undefined },
		});
		expect(res.status, JSON.stringify(res.json)).toBe(202);
		return res;
	};
	return { sku, ada, bob, place };
}

describe("an order belongs to the customer whose token placed it", () => {
	it("takes the customer from the token, and refuses a body naming another with 403, storing nothing", async () => {
		const { sku, ada, bob, place } = await twoCustomers("OWN");
		const placed = await place(ada, "k1");
		expect(placed.json.customerId).toBe(ada.id);

		const forOther = await call("POST", "/orders", {
			auth: ada.auth,
			headers: { "idempotency-key": "k2" },
			body: { ...orderBody(sku), customerId: bob.id },
		});
		expect(forOther.status).toBe(403);
		expect(forOther.headers.get("content-type")).toBe("application/problem+json");
		expect(forOther.json).toMatchObject({ code: "customer_mismatch" });
		// Nothing was stored under the key: it now places a fresh order.
		const fresh = await place(ada, "k2");
		expect(fresh.headers.get("idempotent-replayed")).toBeNull();

		// Naming oneself is the same request as naming no one: the first answer is replayed.
		const named = await call("POST", "/orders", {
			auth: ada.auth,
			headers: { "idempotency-key": "k1" },
			body: { ...orderBody(sku), customerId: ada.id },
		});
		expect(named.status).toBe(202);
		expect(named.json.id).toBe(placed.json.id);
		expect(named.headers.get("idempotent-replayed")).toBe("true");
	});

	it("keeps Idempotency-Keys per customer: the same key and body make two orders", async () => {
		const { ada, bob, place } = await twoCustomers("KEYS");
		const a = await place(ada, "same-key");
		const b = await place(bob, "same-key");
		expect(a.json.id).not.toBe(b.json.id);
		expect(b.headers.get("idempotent-replayed")).toBeNull();
		expect(a.json.customerId).toBe(ada.id);
		expect(b.json.customerId).toBe(bob.id);
	});

	it("answers another customer's order, history, cancel, payment and shipment exactly as a missing order's", async () => {
		const { ada, bob, place } = await twoCustomers("FOREIGN");
		const id = (await place(ada, "mine")).json.id as string;
		const routes: [string, (order: string) => string][] = [
			["GET", (o) => `/orders/${o}`],
			["GET", (o) => `/orders/${o}/history`],
			["POST", (o) => `/orders/${o}/cancel`],
			["GET", (o) => `/payments/${o}`],
			["GET", (o) => `/shipments/${o}`],
		];
		for (const [method, path] of routes) {
			const foreign = await call(method, path(id), { auth: bob.auth });
			const missing = await call(method, path(MISSING), { auth: bob.auth });
			expect(foreign.status, `${method} ${path(id)}`).toBe(404);
			expect(withoutPath(foreign.json)).toEqual(withoutPath(missing.json));
			expect([...foreign.headers.keys()].sort()).toEqual([...missing.headers.keys()].sort());
			expect(JSON.stringify(foreign.json)).not.toContain(ada.id);
		}
		// Bob's cancel changed nothing; Ada and an admin still see the order as it was.
		for (const auth of [ada.auth, ADMIN]) {
			const res = await call("GET", `/orders/${id}`, { auth });
			expect(res.status).toBe(200);
			expect(res.json).toMatchObject({ id, customerId: ada.id });
			expect(res.json.failureReason).toBeUndefined();
			expect((await call("GET", `/orders/${id}/history`, { auth })).status).toBe(200);
		}
		const history = await call("GET", `/orders/${id}/history`, { auth: ADMIN });
		expect(JSON.stringify(history.json)).not.toContain("cancel-requested");
	});

	it("lets a customer cancel their own order", async () => {
		const { sku, ada } = await twoCustomers("CANCEL");
		// Held in payment review, so it is still cancellable when the cancel arrives.
		const placed = await call("POST", "/orders", {
			auth: ada.auth,
			headers: { "idempotency-key": "to-cancel" },
			body: { ...orderBody(sku), customerId: undefined, paymentToken: "tok_review" },
		});
		const id = placed.json.id as string;
		const res = await call("POST", `/orders/${id}/cancel`, { auth: ada.auth });
		expect(res.status).toBe(202);
		const history = await call("GET", `/orders/${id}/history`, { auth: ada.auth });
		expect(JSON.stringify(history.json)).toContain("cancel-requested");
	});

	it("lists only the caller's own orders, whatever customerId the query names; an admin lists anyone's", async () => {
		const { ada, bob, place } = await twoCustomers("LIST");
		const mine = (await place(ada, "a")).json.id as string;
		const theirs = (await place(bob, "b")).json.id as string;
		const ids = async (path: string, auth: string) => {
			const res = await call("GET", path, { auth });
			expect(res.status).toBe(200);
			return (res.json.items as { id: string; customerId: string }[]).map((o) => o.id);
		};
		// The read model is fed by the order objects: wait until it has both.
		for (let i = 0; i < 100; i++) {
			if ((await ids(`/orders?customerId=${bob.id}`, ADMIN)).includes(theirs)) break;
			await new Promise((r) => setTimeout(r, 50));
		}
		expect(await ids(`/orders?customerId=${bob.id}`, ADMIN)).toEqual([theirs]);
		for (let i = 0; i < 100 && !(await ids("/orders", ada.auth)).includes(mine); i++)
			await new Promise((r) => setTimeout(r, 50));
		expect(await ids("/orders", ada.auth)).toEqual([mine]);
		expect(await ids(`/orders?customerId=${bob.id}`, ada.auth)).toEqual([mine]);
		expect(await ids("/orders", bob.auth)).toEqual([theirs]);
	});
});
