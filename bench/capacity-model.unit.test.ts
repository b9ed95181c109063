import { describe, expect, it } from "vitest";
import {
	firstBottleneck,
	LIMITS,
	type Load,
	ordersPerSecond,
	shardsNeeded,
	table,
	touchedByEveryOrder,
	verdict,
} from "./capacity-model.ts";
import { KINDS, ORDER_PATH } from "./order-path.ts";

const saga: Load = { name: "OrderSaga", store: "durable-object", keying: "per-order", perOrder: 9 };
const payments: Load = { name: "Payments", store: "durable-object", keying: "per-order", perOrder: 3 };
const skuStock: Load = { name: "SkuStock", store: "durable-object", keying: "per-sku", perOrder: 2 };
const catalogue: Load = { name: "Catalogue", store: "durable-object", keying: "single", perOrder: 0 };
const ordersDb: Load = { name: "ORDERS_DB", store: "d1", keying: "single", perOrder: 0.05 };
const readModel: Load = { name: "order-read-model", store: "queue", keying: "single", perOrder: 0.4 };
const stockroom: Load = { name: "Stockroom", store: "durable-object", keying: "single", perOrder: 2 };

describe("the capacity model", () => {
	it("divides the published limit by the requests each order sends, where one object sees every order", () => {
		expect(ordersPerSecond(stockroom, "spread")).toBe(500);
		expect(ordersPerSecond(ordersDb, "spread")).toBe(20_000);
		expect(ordersPerSecond(readModel, "spread")).toBe(12_500);
		expect(ordersPerSecond({ ...readModel, perOrder: 6 }, "spread")).toBeCloseTo(833.3, 1);
		expect(
			ordersPerSecond(stockroom, "spread", {
				...LIMITS,
				"durable-object": { ...LIMITS["durable-object"], perSecond: 3000 },
			}),
		).toBe(1500);
	});

	it("finds no bound in a kind with one object per order, nor per SKU while orders spread over SKUs", () => {
		expect(ordersPerSecond(saga, "spread")).toBe(Number.POSITIVE_INFINITY);
		expect(ordersPerSecond(saga, "hot-sku")).toBe(Number.POSITIVE_INFINITY);
		expect(ordersPerSecond(skuStock, "spread")).toBe(Number.POSITIVE_INFINITY);
		expect(ordersPerSecond(skuStock, "hot-sku")).toBe(500);
		expect(ordersPerSecond(catalogue, "spread")).toBe(Number.POSITIVE_INFINITY);
	});

	it("says no object kind is touched by every order once stock is per SKU, and names the hot SKU's object as the limit", () => {
		const merged = [saga, payments, skuStock, catalogue, ordersDb, readModel];
		expect(touchedByEveryOrder(merged, "spread")).toEqual([]);
		const spread = verdict(merged, "spread");
		expect(spread[0]).toBe("No object kind that every order touches.");
		expect(firstBottleneck(merged, "spread")).toEqual({ load: readModel, ordersPerSecond: 12_500 });
		const hot = verdict(merged, "hot-sku");
		expect(firstBottleneck(merged, "hot-sku")?.load).toBe(skuStock);
		expect(hot[1]).toContain("First bottleneck: SkuStock (durable-object, per-sku) at 500 orders/s");
		expect(hot[2]).toContain("One SKU's SkuStock object allows 500 orders/s of that SKU");
		expect(hot[2]).toContain("split the SKU's stock into N shard objects");
		expect(spread.join()).not.toContain("shard objects");
	});

	it("fails the claim as soon as one kind is single and touched by every order, and names it the bottleneck", () => {
		const today = [saga, payments, stockroom, ordersDb, readModel];
		expect(touchedByEveryOrder(today, "spread")).toEqual([stockroom]);
		const lines = verdict(today, "spread");
		expect(lines[0]).not.toContain("No object kind");
		expect(lines[0]).toContain("Stockroom (single)");
		expect(firstBottleneck(today, "spread")).toEqual({ load: stockroom, ordersPerSecond: 500 });
	});

	it("names a queue as the bottleneck when its messages per order run out first, with how to raise it", () => {
		const heavyQueue = { ...readModel, perOrder: 6 };
		const lines = verdict([saga, skuStock, heavyQueue], "spread");
		expect(lines[1]).toContain("First bottleneck: order-read-model (queue, single) at 833 orders/s");
		expect(lines[2]).toContain("more shards");
		expect(lines[2]).toContain("N × 833 orders/s");
	});

	it("counts a sharded queue's limit as its shards × one queue's, and says how many shards it has", () => {
		const sharded: Load = { ...readModel, perOrder: 5, shards: 10 };
		expect(ordersPerSecond({ ...sharded, shards: 1 }, "spread")).toBe(1_000);
		expect(ordersPerSecond(sharded, "spread")).toBe(10_000);
		expect(ordersPerSecond(sharded, "hot-sku")).toBe(10_000);
		const events: Load = { name: "order-events", store: "queue", keying: "single", perOrder: 3, shards: 6 };
		const billing: Load = { name: "billing-events", store: "queue", keying: "single", perOrder: 1.2, shards: 2 };
		expect(firstBottleneck([saga, skuStock, sharded, events, billing], "spread")).toEqual({
			load: billing,
			ordersPerSecond: (2 * 5_000) / 1.2,
		});
		const lines = verdict([saga, skuStock, sharded, events], "spread");
		expect(lines[1]).toBe(
			"First bottleneck: order-read-model (queue, single, 10 shards) at 10,000 orders/s = 10 × 5,000 messages/s per queue / 5 per order.",
		);
		expect(lines[2]).toContain("N × 1,000 orders/s");
		const rows = table([sharded, readModel]).split("\n");
		expect(rows[2]).toBe(
			"| order-read-model | queue | single, 10 shards | 5 | – | 10 × 5,000 messages/s per queue | 10,000 | 10,000 |",
		);
		expect(rows[3]).toContain("| single | 0.4 | – | 5,000 messages/s per queue | 12,500 |");
	});

	it("derives the shards a queue needs for a target from its messages per order: one per 0.5 at 10,000 orders/s", () => {
		const needs = (perOrder: number) => shardsNeeded({ ...readModel, perOrder }, 10_000);
		expect(needs(5)).toBe(10);
		expect(needs(3)).toBe(6);
		expect(needs(1)).toBe(2);
		expect(needs(5.1)).toBe(11);
		expect(needs(0.2)).toBe(1);
		expect(needs(0)).toBe(1);
		expect(ordersPerSecond({ ...readModel, perOrder: 5.1, shards: needs(5.1) }, "spread")).toBeGreaterThanOrEqual(
			10_000,
		);
	});

	it("declares every kind the build runs, each keyed per order, per SKU or single", () => {
		for (const name of ORDER_PATH) expect(KINDS[name]?.keying).toMatch(/^(per-order|per-sku|single)$/);
		expect(KINDS.SkuStock?.keying).toBe("per-sku");
		expect(KINDS.ORDERS_DB?.store).toBe("d1");
	});
});
