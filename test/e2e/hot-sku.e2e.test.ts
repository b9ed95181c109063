import { afterAll, describe, expect, it } from "vitest";
import { call, expectInvariants, newKey, orderBody, restock, uniqueSku } from "../support/client";

const asAdmin = { as: "admin" as const };
const readOrder = async (id: string) => (await call("GET", `/orders/${id}`, asAdmin)).json;
const idle = (o: Record<string, unknown>) => ["completed", "compensated"].includes((o.saga as { phase: string }).phase);

/** Polls the orders until every saga is idle (completed or compensated); no order object is polled twice at once. */
async function settled(ids: string[], timeoutMs = 90_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const orders = [];
		for (const id of ids) orders.push(await readOrder(id));
		if (orders.every(idle)) return orders;
		if (Date.now() > deadline)
			throw new Error(`${orders.filter((o) => !idle(o)).length} of ${ids.length} orders not settled`);
		await new Promise((r) => setTimeout(r, 500));
	}
}

/** Orders placed all at once, each by a customer of its own (the rate limit is per customer). */
const placeAtOnce = (bodies: unknown[]) =>
	Promise.all(
		bodies.map(async (body, i) => {
			const res = await call("POST", "/orders", {
				as: { customer: `hot-${process.pid}-${i}-${newKey()}` },
				body,
				headers: { "idempotency-key": newKey() },
			});
			expect(res.status, res.text).toBe(202);
			return res.json.id as string;
		}),
	);

describe("a hot SKU: many orders at once for one SKU's object", () => {
	afterAll(async () => {
		await expectInvariants(120_000);
	});

	it("60 concurrent orders for one SKU holding 20: exactly 20 confirmed, 40 out of stock naming it, nothing oversold or left reserved", {
		timeout: 150_000,
	}, async () => {
		const sku = uniqueSku("HOT");
		await restock(sku, 20, 500);
		const ids = await placeAtOnce(Array.from({ length: 60 }, () => orderBody([{ sku, quantity: 1 }])));
		const orders = await settled(ids);

		const confirmed = orders.filter((o) => o.saga.phase === "completed");
		const refused = orders.filter((o) => o.saga.phase === "compensated");
		expect(confirmed).toHaveLength(20);
		expect(refused).toHaveLength(40);
		for (const o of refused) expect(o).toMatchObject({ failureReason: "out_of_stock", failureDetail: { skus: [sku] } });

		expect((await call("GET", `/inventory/${sku}`)).json).toMatchObject({ onHand: 0, reserved: 0, committed: 20 });
		const ledger = (await call("GET", "/admin/ledger", asAdmin)).json.items.find((l: { sku: string }) => l.sku === sku);
		expect(ledger).toEqual({ sku, received: 20, on_hand: 0, reserved: 0, committed: 20, returned: 0 });
		const held = (await call("GET", "/admin/reservations", asAdmin)).json.items.filter(
			(r: { sku: string }) => r.sku === sku,
		);
		const byState = (state: string) => held.filter((r: { state: string }) => r.state === state).length;
		expect([byState("committed"), byState("reserved"), byState("rejected")]).toEqual([20, 0, 40]);
	});

	it("a short line of a multi-line order fails it naming that SKU, and the other lines are released in their own objects", {
		timeout: 60_000,
	}, async () => {
		const [plenty, scarce] = [uniqueSku("PLENTY"), uniqueSku("SCARCE")];
		await restock(plenty, 10, 100);
		await restock(scarce, 1, 100);
		const [id] = await placeAtOnce([
			orderBody([
				{ sku: plenty, quantity: 4 },
				{ sku: scarce, quantity: 2 },
			]),
		]);
		const [order] = await settled([id as string]);
		expect(order).toMatchObject({
			status: "cancelled",
			failureReason: "out_of_stock",
			failureDetail: { skus: [scarce] },
		});
		const entries = (await call("GET", `/orders/${id}/history`, asAdmin)).json.entries as {
			kind: string;
			name: string;
			detail?: { skus?: string[] };
		}[];
		expect(entries.find((h) => h.name === "inventory.stock-rejected")?.detail?.skus).toEqual([scarce]);
		expect((await call("GET", `/inventory/${plenty}`)).json).toMatchObject({ onHand: 10, reserved: 0 });
		expect((await call("GET", `/inventory/${scarce}`)).json).toMatchObject({ onHand: 1, reserved: 0 });
	});
});
