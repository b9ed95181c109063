import { describe, expect, it } from "vitest";
import { abortSaga, applyDeadline, applyEvent, applyReply, commandId, startSaga } from "../../../../shared/saga/engine";
import { cancelVerdict, linesBySku, orderStatus, orderTotal, progressAfter } from "./order";
import {
	CURRENT_PLACEMENT_SAGA,
	type OrderSagaData,
	placementSaga,
	placementSagaV1,
	placementVersionOf,
} from "./order-saga";

const deadlines = { stepMs: 1000, maxAttempts: 3, maxBackoffMs: 10_000 };
const def = placementSagaV1(deadlines);
const v2 = placementSaga(2, deadlines);
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

	it("on version 2 asks for stock, payment and pickup at once and is confirmed once all three have answered, in any order", () => {
		const started = startSaga(v2, "ord_1", data, 0);
		expect(started.send.map((m) => m.type)).toEqual([
			"inventory.reserve-stock",
			"billing.authorize-payment",
			"shipping.schedule-pickup",
		]);
		const reply = (s: typeof started.state, type: string, step: string) =>
			applyReply(v2, s, { type, causationId: commandId("ord_1", step) }, 0);
		const scheduled = reply(started.state, "shipping.pickup-scheduled", "schedule-pickup").state;
		const authorized = reply(scheduled, "billing.payment-authorized", "authorize-payment").state;
		expect(orderStatus(v2, authorized, null)).toBe("pending");
		expect(cancelVerdict(v2, authorized)).toBe("abort");
		const reserved = reply(authorized, "inventory.stock-reserved", "reserve-stock");
		expect(orderStatus(v2, reserved.state, null)).toBe("confirmed");
		expect(cancelVerdict(v2, reserved.state)).toBe("refused");
		expect(reserved.send.map((m) => m.type)).toEqual([
			"billing.capture-payment",
			"inventory.commit-stock",
			"shipping.confirm-pickup",
		]);
	});

	it("on version 3 (current) reserves each line in its SKU's object as a step of its own, and confirms once every line and the rest have answered", () => {
		expect(CURRENT_PLACEMENT_SAGA).toBe(3);
		const v3 = placementSaga(3, deadlines);
		const two = { ...data, lines: linesBySku([...data.lines, { sku: "B", quantity: 2 }, { sku: "A", quantity: 1 }]) };
		expect(two.lines).toEqual([
			{ sku: "A", quantity: 2 },
			{ sku: "B", quantity: 2 },
		]);
		const started = startSaga(v3, "ord_1", two, 0);
		expect(started.send.map((m) => [m.id, m.type])).toEqual([
			["ord_1.reserve-stock[A]", "inventory.reserve-line"],
			["ord_1.reserve-stock[B]", "inventory.reserve-line"],
			["ord_1.authorize-payment", "billing.authorize-payment"],
			["ord_1.schedule-pickup", "shipping.schedule-pickup"],
		]);
		const reply = (s: typeof started.state, type: string, step: string) =>
			applyReply(v3, s, { type, causationId: commandId("ord_1", step) }, 0);
		let s = reply(started.state, "billing.payment-authorized", "authorize-payment").state;
		s = reply(s, "shipping.pickup-scheduled", "schedule-pickup").state;
		s = reply(s, "inventory.stock-reserved", "reserve-stock[A]").state;
		expect(orderStatus(v3, s, null)).toBe("pending");
		const last = reply(s, "inventory.stock-reserved", "reserve-stock[B]");
		expect(orderStatus(v3, last.state, null)).toBe("confirmed");
		expect(last.send.map((m) => [m.type, m.payload])).toEqual([
			["billing.capture-payment", { orderId: "ord_1" }],
			["inventory.commit-line", { orderId: "ord_1", sku: "A" }],
			["inventory.commit-line", { orderId: "ord_1", sku: "B" }],
			["shipping.confirm-pickup", { orderId: "ord_1" }],
		]);
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

	it("names the authorization and the pickup their replies gave in the capture, the confirmation and the undoing", () => {
		const reply = (s: ReturnType<typeof startSaga<OrderSagaData>>["state"], type: string, step: string, payload = {}) =>
			applyReply(v2, s, { type, causationId: commandId("ord_1", step), payload }, 0);
		const started = startSaga(v2, "ord_1", data, 0).state;
		const authorized = reply(started, "billing.payment-authorized", "authorize-payment", { authorizationId: "auth_1" });
		const scheduled = reply(authorized.state, "shipping.pickup-scheduled", "schedule-pickup", { pickupId: "pck_1" });
		const undo = (d: NonNullable<ReturnType<typeof abortSaga<OrderSagaData>>>) => d.send.map((m) => m.payload);
		expect(undo(abortSaga(v2, scheduled.state, "customer_cancelled", 0) as never)).toEqual(
			expect.arrayContaining([
				{ orderId: "ord_1", authorizationId: "auth_1" },
				{ orderId: "ord_1", pickupId: "pck_1" },
			]),
		);
		const past = reply(scheduled.state, "inventory.stock-reserved", "reserve-stock");
		expect(past.send.map((m) => m.payload)).toEqual([
			{ orderId: "ord_1", authorizationId: "auth_1" },
			{ orderId: "ord_1", lines: data.lines },
			{ orderId: "ord_1", pickupId: "pck_1" },
		]);
	});

	it("waits a day for a payment held for review: approve goes on, decline is payment_declined, silence is timeout", () => {
		const held = applyReply(
			v2,
			startSaga(v2, "ord_1", data, 0).state,
			{ type: "billing.payment-held", causationId: "ord_1.authorize-payment" },
			0,
		).state;
		expect(held.steps["authorize-payment"]).toMatchObject({ status: "waiting", deadline: 24 * 3_600_000 });
		const event = (decision: string) => ({
			id: "e",
			type: "billing.payment-reviewed",
			key: "ord_1",
			payload: { orderId: "ord_1", decision, authorizationId: "auth_1" },
		});
		expect(applyEvent(v2, held, event("approve"), 1).state.results).toEqual({
			"authorize-payment": { authorizationId: "auth_1" },
		});
		expect(applyEvent(v2, held, event("decline"), 1).state.failureReason).toBe("payment_declined");
		expect(applyDeadline(v2, held, 24 * 3_600_000).state.failureReason).toBe("timeout");
	});

	it("starts new orders on the version the setting names, the newest when it names none, and refuses one it does not have", () => {
		expect(placementVersionOf("")).toBe(CURRENT_PLACEMENT_SAGA);
		expect(placementVersionOf(undefined)).toBe(CURRENT_PLACEMENT_SAGA);
		expect(placementVersionOf("1")).toBe(1);
		for (const wrong of ["9", "two", "constructor"])
			expect(() => placementVersionOf(wrong)).toThrow(/not a placement saga version/);
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
