import { describe, expect, it } from "vitest";
import { type ReturnableOrder, refundedTotal, returnVerdict } from "./returns";

const DAY = 24 * 3_600_000;
const delivered: ReturnableOrder = {
	status: "delivered",
	deliveredAt: new Date(0).toISOString(),
	items: [
		{ sku: "MUG", quantity: 2, unitPrice: 1250 },
		{ sku: "TEE", quantity: 1, unitPrice: 2000 },
	],
	returns: [],
};

describe("returnVerdict", () => {
	it("prices a return of delivered units within the window", () => {
		expect(returnVerdict(delivered, [{ sku: "MUG", quantity: 2 }], 30 * DAY, 30 * DAY)).toEqual({
			ok: true,
			amount: 2500,
		});
	});

	it("refuses an order not delivered, and a return after the window", () => {
		const shipped = { ...delivered, status: "shipped" as const, deliveredAt: null };
		expect(returnVerdict(shipped, [{ sku: "MUG", quantity: 1 }], 30 * DAY, 0)).toMatchObject({
			ok: false,
			status: 409,
			code: "order_not_delivered",
		});
		expect(returnVerdict(delivered, [{ sku: "MUG", quantity: 1 }], 30 * DAY, 30 * DAY + 1)).toMatchObject({
			ok: false,
			status: 409,
			code: "return_window_closed",
		});
	});

	it("refuses more than was bought and not returned yet, naming the SKUs; released returns free their units", () => {
		const taken: ReturnableOrder = {
			...delivered,
			returns: [
				{ lines: [{ sku: "MUG", quantity: 1 }], state: "recorded" },
				{ lines: [{ sku: "TEE", quantity: 1 }], state: "released" },
			],
		};
		expect(
			returnVerdict(
				taken,
				[
					{ sku: "MUG", quantity: 2 },
					{ sku: "TEE", quantity: 1 },
					{ sku: "HAT", quantity: 1 },
				],
				30 * DAY,
				0,
			),
		).toMatchObject({ ok: false, status: 422, code: "return_exceeds_order", skus: ["MUG", "HAT"] });
		expect(returnVerdict(taken, [{ sku: "TEE", quantity: 1 }], 30 * DAY, 0)).toEqual({ ok: true, amount: 2000 });
	});

	it("counts as refunded only what recorded returns refunded", () => {
		expect(
			refundedTotal([
				{ state: "recorded", refunded: 1250 },
				{ state: "held", refunded: 0 },
				{ state: "released", refunded: 0 },
				{ state: "recorded", refunded: 2000 },
			]),
		).toBe(3250);
	});
});
