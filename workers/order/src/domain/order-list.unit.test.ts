import { describe, expect, it } from "vitest";
import type { Payload } from "../../../../shared/messages";
import { decodeCursor, encodeCursor, newestPerOrder } from "./order-list";

const summary = (orderId: string, revision: number) =>
	({ orderId, revision, status: "pending" }) as Payload<"order.summary-changed">;

describe("newestPerOrder", () => {
	it("keeps one summary per order, the highest revision, whatever order they came in", () => {
		const kept = newestPerOrder([summary("a", 3), summary("b", 1), summary("a", 9), summary("a", 5), summary("b", 1)]);
		expect(kept.map((s) => [s.orderId, s.revision])).toEqual([
			["a", 9],
			["b", 1],
		]);
	});
});

describe("cursors", () => {
	it("give back the position they were made from", () => {
		expect(decodeCursor(encodeCursor(["2026-01-01T00:00:00.000Z", "ord_1"]))).toEqual([
			"2026-01-01T00:00:00.000Z",
			"ord_1",
		]);
	});

	it("refuse anything this API did not give out", () => {
		for (const bad of ["garbage", btoa("{}"), btoa("[1,2]"), btoa('["a"]'), btoa('["a","b","c"]'), ""])
			expect(decodeCursor(bad)).toBeNull();
	});
});
