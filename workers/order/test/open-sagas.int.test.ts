import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { TRACEPARENT, testOrderId } from "../../../shared/testing/messages";
import worker from "../src/index";
import { applySummaries } from "../src/orders-db";
import { summary } from "./support";

/** The read model only: this file places no order, so what it lists is what it wrote. */
async function get(path: string) {
	const res = await worker.fetch(
		new Request(`https://order${path}`, { headers: { traceparent: TRACEPARENT } }),
		env,
		createExecutionContext(),
	);
	return {
		status: res.status,
		json: (await res.json()) as { items: { orderId: string }[]; nextCursor: string | null },
	};
}
const ids = (page: { items: { orderId: string }[] }) => page.items.map((i) => i.orderId);

describe("GET /admin/sagas: sagas to look at, the longest waiting first", () => {
	const [running, stuck, done, flagged, undoing] = [1, 2, 3, 4, 5].map(testOrderId) as [
		string,
		string,
		string,
		string,
		string,
	];
	beforeAll(async () => {
		await applySummaries(env.ORDERS_DB, [
			summary(running, 7, "pending", "running"),
			summary(stuck, 3, "confirmed", "running"),
			summary(done, 1, "delivered", "completed"),
			// A completed saga a retried step flagged, and a compensation that ran out of attempts.
			{ ...summary(flagged, 9, "delivered", "completed"), needsAttention: true },
			{ ...summary(undoing, 5, "pending", "compensating"), needsAttention: true },
		]);
	});

	it("lists those that need attention and those not finished, oldest updated first; finished ones that need none are not listed", async () => {
		const all = await get("/admin/sagas");
		expect(all.status).toBe(200);
		expect(ids(all.json)).toEqual([stuck, undoing, running, flagged]);
		expect(all.json.items[1]).toMatchObject({ phase: "compensating", needsAttention: true, status: "pending" });
		expect(ids((await get("/admin/sagas?attention=true")).json)).toEqual([undoing, flagged]);
		expect(ids((await get("/admin/sagas?attention=false")).json)).toEqual([stuck, running]);
	});

	it("pages with a cursor, and refuses a cursor it never gave (400) or a bad filter (422)", async () => {
		const first = await get("/admin/sagas?limit=3");
		expect(ids(first.json)).toEqual([stuck, undoing, running]);
		const second = await get(`/admin/sagas?limit=3&cursor=${encodeURIComponent(first.json.nextCursor as string)}`);
		expect(second.json).toEqual({ items: [expect.objectContaining({ orderId: flagged })], nextCursor: null });
		expect((await get("/admin/sagas?cursor=nonsense")).status).toBe(400);
		expect((await get("/admin/sagas?attention=maybe")).status).toBe(422);
		expect((await get("/admin/sagas?limit=0")).status).toBe(422);
	});

	it("reads the partial index for each filter, not the whole table", async () => {
		for (const filter of ["", " AND needs_attention = 1", " AND needs_attention = 0"]) {
			const plan = await env.ORDERS_DB.prepare(
				`EXPLAIN QUERY PLAN SELECT * FROM orders WHERE (needs_attention = 1 OR phase IN ('running', 'compensating'))${filter} ORDER BY updated_at, id LIMIT 5`,
			).all<{ detail: string }>();
			expect(plan.results.map((r) => r.detail).join(" ")).toContain("orders_open_by_updated");
		}
	});
});
