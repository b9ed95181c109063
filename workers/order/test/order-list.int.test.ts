import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { testOrderId } from "../../../shared/testing/messages";
import { applySummaries, countByStatus } from "../src/orders-db";
import { call, summary } from "./support";

const rows = async () => (await env.ORDERS_DB.prepare("SELECT COUNT(*) AS n FROM orders").first<{ n: number }>())?.n;

describe("GET /orders, from D1", () => {
	// Six orders of two customers: created a second apart, two of them in the same millisecond.
	const at = (s: number) => `2026-02-01T00:00:0${s}.000Z`;
	const orders = [
		{ id: testOrderId(11), createdAt: at(1), status: "delivered", customerId: "cust-a" },
		{ id: testOrderId(12), createdAt: at(2), status: "cancelled", customerId: "cust-b" },
		{ id: testOrderId(13), createdAt: at(3), status: "delivered", customerId: "cust-a" },
		{ id: testOrderId(14), createdAt: at(3), status: "pending", customerId: "cust-b" },
		{ id: testOrderId(15), createdAt: at(4), status: "delivered", customerId: "cust-b" },
		{ id: testOrderId(16), createdAt: at(5), status: "pending", customerId: "cust-a" },
	] as const;
	const seed = () =>
		applySummaries(
			env.ORDERS_DB,
			orders.map((o) => ({
				...summary(o.id, 2, o.status, o.status === "pending" ? "running" : "completed", o.customerId),
				createdAt: o.createdAt,
			})),
		);
	const newestFirst = [...orders].reverse().map((o) => o.id);

	const get = async (query: string) => {
		const res = await call("GET", `/orders${query}`);
		return { status: res.status, body: (await res.json()) as { items: { id: string }[]; nextCursor: string | null } };
	};
	/** Follows the cursors from the first page to the last; the ids in the order they were listed. */
	async function allPages(query: string, limit: number) {
		const ids: string[] = [];
		let cursor: string | null = null;
		do {
			const page = await get(`?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
			expect(page.status).toBe(200);
			expect(page.body.items.length).toBeLessThanOrEqual(limit);
			ids.push(...page.body.items.map((o) => o.id));
			cursor = page.body.nextCursor;
		} while (cursor);
		return ids;
	}

	it("lists newest first (ties by id), page by page, each order once", async () => {
		expect(await seed()).toBe(6);
		const first = await get("?limit=2");
		expect(first.body.items).toMatchObject([
			{
				id: testOrderId(16),
				status: "pending",
				phase: "running",
				needsAttention: false,
				customerId: "cust-a",
				total: 2500,
				currency: "EUR",
				createdAt: at(5),
				updatedAt: "2026-01-01T00:00:02.000Z",
			},
			{ id: testOrderId(15) },
		]);
		expect(first.body.items[0]).not.toHaveProperty("failureReason");
		expect(first.body.nextCursor).toEqual(expect.any(String));
		for (const limit of [1, 2, 4, 6, 100]) expect(await allPages("", limit)).toEqual(newestFirst);
		// The last page says there is no next one.
		expect((await get("?limit=6")).body.nextCursor).toBeNull();
	});

	it("filters by status, by customer, and by both, through every page", async () => {
		await seed();
		const ids = (pred: (o: (typeof orders)[number]) => boolean) =>
			newestFirst.filter((id) => pred(orders.find((o) => o.id === id) as (typeof orders)[number]));
		expect(await allPages("status=delivered", 1)).toEqual(ids((o) => o.status === "delivered"));
		expect(await allPages("customerId=cust-b", 2)).toEqual(ids((o) => o.customerId === "cust-b"));
		expect(await allPages("status=pending&customerId=cust-a", 1)).toEqual([testOrderId(16)]);
		expect(await allPages("status=shipped", 5)).toEqual([]);
		expect(await allPages("customerId=cust-nobody", 5)).toEqual([]);
	});

	it("answers a client's mistake with problem+json and changes nothing", async () => {
		await seed();
		const before = await countByStatus(env.ORDERS_DB);
		for (const [query, status, code] of [
			["?cursor=garbage", 400, "invalid_cursor"],
			[`?cursor=${btoa('["only-one"]')}`, 400, "invalid_cursor"],
			["?status=lost", 422, "validation_failed"],
			["?limit=0", 422, "validation_failed"],
			["?limit=101", 422, "validation_failed"],
			["?sort=id", 422, "validation_failed"],
		] as const) {
			const res = await call("GET", `/orders${query}`);
			expect(res.status, query).toBe(status);
			expect(res.headers.get("content-type")).toContain("application/problem+json");
			expect(((await res.json()) as { code: string }).code, query).toBe(code);
		}
		expect(await countByStatus(env.ORDERS_DB)).toEqual(before);
		expect(await rows()).toBe(6);
	});

	it("counts orders by status for the dashboard", async () => {
		await seed();
		const res = await call("GET", "/admin/orders/counts");
		expect(await res.json()).toEqual({ delivered: 3, cancelled: 1, pending: 2 });
	});
});
