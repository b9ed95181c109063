import { describe, expect, it } from "vitest";
import { applyReply, commandId, startSaga } from "../../../../shared/saga/engine";
import { cancelVerdict, orderStatus, orderTotal, progressAfter } from "./order";
import { type OrderSagaData, placementSagaV1 } from "./order-saga";

const def = placementSagaV1({ stepMs: 1000, maxAttempts: 3, maxBackoffMs: 10_000 });
const data: OrderSagaData = {
	orderId: "ord_1",
	lines: [{ sku: "A", quantity: 1 }],
	amount: 100,
	currency: "EUR",
	address: { name: "N", line1: "L", city: "C", postalCode: "P", country: "FR" },
	paymentToken: "tok_visa",
};
const succeed = (type: string, step: string, s = startSaga(def, "ord_1", data, 0).state) =>
	applyReply(def, s, { type, causationId: commandId("ord_1", step) }, 0).state;

describe("order lifecycle", () => {
	it("is pending until the pivot, confirmed after it, and cancellable only before it", () => {
		const started = startSaga(def, "ord_1", data, 0).state;
		expect(orderStatus(def, started, null)).toBe("pending");
		expect(cancelVerdict(def, started)).toBe("abort");
		const reserved = succeed("inventory.stock-reserved", "reserve-stock", started);
		const authorized = succeed("billing.payment-authorized", "authorize-payment", reserved);
		const scheduled = succeed("shipping.pickup-scheduled", "schedule-pickup", authorized);
		expect(orderStatus(def, scheduled, null)).toBe("confirmed");
		expect(cancelVerdict(def, scheduled)).toBe("refused");
	});

	it("follows the carrier forward only: shipped, then delivered; late events change nothing", () => {
		const s = startSaga(def, "ord_1", data, 0).state;
		expect(progressAfter(null, "shipping.picked-up")).toBe("picked_up");
		expect(progressAfter("delivered", "shipping.in-transit")).toBe("delivered");
		expect(orderStatus(def, s, "in_transit")).toBe("shipped");
		expect(orderStatus(def, s, "delivered")).toBe("delivered");
	});

	it("fails with the reason each rejection gives", () => {
		const rejected = applyReply(
			def,
			startSaga(def, "ord_1", data, 0).state,
			{ type: "inventory.stock-rejected", causationId: "ord_1.reserve-stock" },
			0,
		);
		expect(rejected.state.failureReason).toBe("out_of_stock");
		expect(orderStatus(def, rejected.state, null)).toBe("cancelled");
	});

	it("totals lines at their unit prices", () => {
		expect(
			orderTotal([
				{ quantity: 2, unitPrice: 150 },
				{ quantity: 1, unitPrice: 5 },
			]),
		).toBe(305);
	});
});
