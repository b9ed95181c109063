import { describe, expect, it } from "vitest";
import { testOrderId } from "../../../shared/testing/messages";
import { listed, orderIndex, summary } from "./support";

describe("OrderIndex", () => {
	it("keeps the newest revision when an older one arrives after it, in a later batch or the same one", async () => {
		const later = testOrderId(1);
		expect(await orderIndex().apply([summary(later, 3, "pending", "running")])).toBe(1);
		expect(await orderIndex().apply([summary(later, 9, "confirmed", "running")])).toBe(1);
		expect(await orderIndex().apply([summary(later, 5, "pending", "running")])).toBe(0);
		expect(await listed(later)).toMatchObject({ status: "confirmed", updatedAt: "2026-01-01T00:00:09.000Z" });

		const sameBatch = testOrderId(2);
		const applied = await orderIndex().apply([
			summary(sameBatch, 12, "cancelled", "compensated"),
			summary(sameBatch, 4, "pending", "running"),
			summary(sameBatch, 12, "cancelled", "compensated"),
		]);
		expect(applied).toBe(1);
		expect(await listed(sameBatch)).toMatchObject({ status: "cancelled", phase: "compensated" });
		expect(await orderIndex().counts()).toEqual({ confirmed: 1, cancelled: 1 });
	});
});
