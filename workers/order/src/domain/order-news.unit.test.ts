import { describe, expect, it } from "vitest";
import { newsOf } from "./order-news";

describe("newsOf", () => {
	it("publishes order.placed for a new order, and one event per status it moves to", () => {
		expect(newsOf(null, "pending")).toEqual(["order.placed"]);
		expect(newsOf("pending", "confirmed")).toEqual(["order.confirmed"]);
		expect(newsOf("confirmed", "shipped")).toEqual(["order.shipped"]);
		expect(newsOf("shipped", "delivered")).toEqual(["order.delivered"]);
		expect(newsOf("pending", "cancelled")).toEqual(["order.cancelled"]);
	});

	it("publishes a status skipped in one change, so the invoice of a confirmed order is never missed", () => {
		expect(newsOf("pending", "delivered")).toEqual(["order.confirmed", "order.shipped", "order.delivered"]);
		expect(newsOf(null, "cancelled")).toEqual(["order.placed", "order.cancelled"]);
	});

	it("tells the read model of a change the status does not show", () => {
		expect(newsOf("pending", "pending")).toEqual(["order.summary-changed"]);
		expect(newsOf("confirmed", "confirmed")).toEqual(["order.summary-changed"]);
	});
});
