import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { testOrderId } from "../../../shared/testing/messages";
import { applySummaries, countByStatus } from "../src/orders-db";
import { listed, summary } from "./support";

const rows = async () => (await env.ORDERS_DB.prepare("SELECT COUNT(*) AS n FROM orders").first<{ n: number }>())?.n;

describe("the read model in D1", () => {
	it("keeps the newest revision when an older one arrives after it, in a later batch or the same one", async () => {
		const later = testOrderId(1);
		expect(await applySummaries(env.ORDERS_DB, [summary(later, 3, "pending", "running")])).toBe(1);
		expect(await applySummaries(env.ORDERS_DB, [summary(later, 9, "confirmed", "running")])).toBe(1);
		expect(await applySummaries(env.ORDERS_DB, [summary(later, 5, "pending", "running")])).toBe(0);
		expect(await applySummaries(env.ORDERS_DB, [summary(later, 9, "confirmed", "running")])).toBe(0);
		expect(await listed(later)).toMatchObject({ status: "confirmed", updatedAt: "2026-01-01T00:00:09.000Z" });

		const sameBatch = testOrderId(2);
		const applied = await applySummaries(env.ORDERS_DB, [
			summary(sameBatch, 12, "cancelled", "compensated"),
			summary(sameBatch, 4, "pending", "running"),
			summary(sameBatch, 12, "cancelled", "compensated"),
		]);
		expect(applied).toBe(1);
		expect(await listed(sameBatch)).toMatchObject({ status: "cancelled", phase: "compensated" });
		expect(await countByStatus(env.ORDERS_DB)).toEqual({ confirmed: 1, cancelled: 1 });
		expect(await rows()).toBe(2);
	});
});
