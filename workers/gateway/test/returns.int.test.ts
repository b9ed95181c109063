import { describe, expect, it } from "vitest";
import { ADMIN, bearer, call, orderBody, uniqueSku } from "./gateway";

/**
 * A return belongs to the customer whose order it returns, through the real order, inventory,
 * billing and shipping Workers (the carrier delivers the orders in its own time). Someone else's
 * return answers exactly as a missing one does; an admin sees every return.
 */
const MISSING = `ret_${"e".repeat(24)}`;

/** A problem answer with its path taken out: what must not tell another customer's return from none. */
const withoutPath = (json: Record<string, unknown>) => ({ ...json, instance: undefined });

/** Polls the API until `check` holds: the carrier and the read model move on queues and alarms of other Workers. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
	for (let i = 0; i < 300; i++) {
		const value = await read();
		if (check(value)) return value;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error(`${what}: not within 15 s`);
}

/** A customer with an order delivered and one unit of it being returned. */
async function customerWithReturn(name: string, sku: string) {
	const who = { id: `${name}-${sku}`, auth: await bearer(`${name}-${sku}`) };
	const placed = await call("POST", "/orders", {
		auth: who.auth,
		headers: { "idempotency-key": `${name}-order` },
		body: { ...orderBody(sku, 2), customerId: undefined },
	});
	expect(placed.status, JSON.stringify(placed.json)).toBe(202);
	const orderId = placed.json.id as string;
	return {
		...who,
		orderId,
		/** Waits for the order's delivery, then returns a unit of it. */
		async requestReturn() {
			const read = () => call("GET", `/orders/${orderId}`, { auth: who.auth });
			await until(read, (o) => o.json.status === "delivered", `order ${orderId} delivered`);
			const res = await call("POST", `/orders/${orderId}/returns`, {
				auth: who.auth,
				headers: { "idempotency-key": `${name}-return` },
				body: { lines: [{ sku, quantity: 1 }], reason: "too small" },
			});
			expect(res.status, JSON.stringify(res.json)).toBe(202);
			return res.json.id as string;
		},
	};
}

describe("a return belongs to the customer whose order it returns", () => {
	it("answers another customer's return and its history as a missing one; lists only the caller's; an admin sees all", async () => {
		const sku = uniqueSku("RET-OWN");
		const stocked = await call("PUT", `/inventory/${sku}`, { auth: ADMIN, body: { onHand: 10, unitPrice: 700 } });
		expect(stocked.status).toBe(200);
		const ada = await customerWithReturn("ada", sku);
		const bob = await customerWithReturn("bob", sku);
		const [adas, bobs] = await Promise.all([ada.requestReturn(), bob.requestReturn()]);

		for (const path of [(r: string) => `/returns/${r}`, (r: string) => `/returns/${r}/history`]) {
			const foreign = await call("GET", path(adas), { auth: bob.auth });
			const missing = await call("GET", path(MISSING), { auth: bob.auth });
			expect(foreign.status, path(adas)).toBe(404);
			expect(foreign.json).toMatchObject({ code: "return_not_found" });
			expect(withoutPath(foreign.json)).toEqual(withoutPath(missing.json));
			expect([...foreign.headers.keys()].sort()).toEqual([...missing.headers.keys()].sort());
			expect(JSON.stringify(foreign.json)).not.toContain(ada.id);
			// Its owner and an admin see it.
			for (const auth of [ada.auth, ADMIN]) expect((await call("GET", path(adas), { auth })).status).toBe(200);
		}
		expect((await call("GET", `/returns/${adas}`, { auth: ada.auth })).json).toMatchObject({
			id: adas,
			orderId: ada.orderId,
			customerId: ada.id,
		});

		// Its trace is an operator's to read, as an order's is.
		const trace = await call("GET", `/admin/returns/${adas}/trace`, { auth: ADMIN });
		expect(trace.status).toBe(200);
		expect(trace.json).toMatchObject({ returnId: adas, traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
		expect((await call("GET", `/admin/returns/${adas}/trace`, { auth: ada.auth })).status).toBe(403);
		expect((await call("GET", `/admin/returns/${MISSING}/trace`, { auth: ADMIN })).json).toMatchObject({
			code: "return_not_found",
		});

		const ids = async (path: string, auth: string) => {
			const res = await call("GET", path, { auth });
			expect(res.status).toBe(200);
			return (res.json.items as { id: string }[]).map((r) => r.id);
		};
		// The read model hears of both returns on its queue.
		await until(
			() => ids(`/returns?orderId=${ada.orderId}`, ADMIN),
			(items) => items.includes(adas),
			"ada's return listed",
		);
		await until(
			() => ids(`/returns?orderId=${bob.orderId}`, ADMIN),
			(items) => items.includes(bobs),
			"bob's return listed",
		);
		expect(await ids("/returns", ada.auth)).toEqual([adas]);
		expect(await ids("/returns", bob.auth)).toEqual([bobs]);
		// A customer naming another customer or their order still gets only their own.
		expect(await ids(`/returns?customerId=${bob.id}`, ada.auth)).toEqual([adas]);
		expect(await ids(`/returns?orderId=${bob.orderId}`, ada.auth)).toEqual([]);
		expect(await ids(`/returns?customerId=${bob.id}`, ADMIN)).toEqual([bobs]);
		expect(await ids("/returns?limit=100", ADMIN)).toEqual(expect.arrayContaining([adas, bobs]));
	});
});
