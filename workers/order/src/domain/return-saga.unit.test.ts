import { describe, expect, it } from "vitest";
import type { SagaDecision, SagaState } from "../../../../shared/saga/definition";
import {
	applyDeadline,
	applyEvent,
	applyReply,
	commandId,
	compensationId,
	startSaga,
} from "../../../../shared/saga/engine";
import { type ReturnSagaData, returnSagaV1, returnStatus } from "./return-saga";

const T0 = 1_000_000;
const DAY = 24 * 3_600_000;
const def = returnSagaV1({ stepMs: 1000, maxAttempts: 3, maxBackoffMs: 3000, waitMs: 14 * DAY });
const data: ReturnSagaData = {
	returnId: "ret_000000000000000000000001",
	orderId: "ord_000000000000000000000001",
	lines: [
		{ sku: "MUG", quantity: 1 },
		{ sku: "TEE", quantity: 2 },
	],
	amount: 4500,
	currency: "EUR",
	address: { name: "Ada", line1: "1 Main St", city: "Paris", postalCode: "75001", country: "FR" },
};
const ID = data.returnId;

const reply = (state: SagaState<ReturnSagaData>, step: string, type: string, payload: unknown = {}, now = T0) =>
	applyReply(def, state, { type, causationId: commandId(ID, step), payload }, now);
const ack = (state: SagaState<ReturnSagaData>, step: string, type: string) =>
	applyReply(def, state, { type, causationId: compensationId(ID, step) }, T0);
const sent = (d: SagaDecision<ReturnSagaData>) => d.send.map((m) => m.type);

/** A return authorized and its pickup scheduled: waiting for the carrier to bring the goods back. */
function waitingForGoods() {
	const started = startSaga(def, ID, data, T0);
	const authorized = reply(started.state, "authorize-return", "order.return-authorized", { amount: 4500 });
	return reply(authorized.state, "collect-return", "shipping.return-scheduled");
}

describe("the return saga (order-return v1)", () => {
	it("authorizes first, then schedules the pickup, and waits for the goods until the deadline", () => {
		const started = startSaga(def, ID, data, T0);
		expect(sent(started)).toEqual(["order.authorize-return"]);
		expect(returnStatus(def, started.state)).toBe("requested");
		const authorized = reply(started.state, "authorize-return", "order.return-authorized", { amount: 4500 });
		expect(sent(authorized)).toEqual(["shipping.schedule-return"]);
		const held = reply(authorized.state, "collect-return", "shipping.return-scheduled");
		expect(returnStatus(def, held.state)).toBe("pickup_scheduled");
		expect(held.state.steps["collect-return"]?.wait).toEqual({
			event: "shipping.return-delivered",
			key: ID,
			until: T0 + 14 * DAY,
		});
	});

	it("restocks every line once the goods are back, then refunds, then records the return: refunded", () => {
		const back = applyEvent(
			def,
			waitingForGoods().state,
			{ id: "e1", type: "shipping.return-delivered", key: ID, payload: {} },
			T0,
		);
		expect(sent(back)).toEqual(["inventory.restock-line", "inventory.restock-line"]);
		expect(back.send.map((m) => m.payload)).toEqual([
			{ orderId: data.orderId, returnId: ID, sku: "MUG", quantity: 1 },
			{ orderId: data.orderId, returnId: ID, sku: "TEE", quantity: 2 },
		]);
		expect(returnStatus(def, back.state)).toBe("received");
		const mug = reply(back.state, "restock[MUG]", "inventory.stock-restocked");
		expect(sent(mug)).toEqual([]);
		const tee = reply(mug.state, "restock[TEE]", "inventory.stock-restocked");
		expect(tee.send).toEqual([
			expect.objectContaining({
				type: "billing.refund-payment",
				payload: { orderId: data.orderId, returnId: ID, amount: 4500 },
			}),
		]);
		const refunded = reply(tee.state, "refund", "billing.payment-refunded");
		expect(refunded.send[0]?.payload).toEqual({ orderId: data.orderId, returnId: ID, refunded: 4500 });
		const recorded = reply(refunded.state, "record-return", "order.return-recorded");
		expect(recorded.state.phase).toBe("completed");
		expect(returnStatus(def, recorded.state)).toBe("refunded");
	});

	it("goods not back by the deadline: the return fails not_received, the pickup is cancelled, then the hold released", () => {
		const late = applyDeadline(def, waitingForGoods().state, T0 + 14 * DAY);
		expect(late.state.failureReason).toBe("not_received");
		expect(sent(late)).toEqual(["shipping.cancel-return"]);
		expect(returnStatus(def, late.state)).toBe("cancelling");
		const cancelled = ack(late.state, "collect-return", "shipping.return-cancelled");
		expect(sent(cancelled)).toEqual(["order.release-return"]);
		const released = ack(cancelled.state, "authorize-return", "order.return-released");
		expect(released.state.phase).toBe("compensated");
		expect(returnStatus(def, released.state)).toBe("cancelled");
	});

	it("a pickup the carrier rejects releases the hold; a refused authorization sends nothing more", () => {
		const started = startSaga(def, ID, data, T0);
		const authorized = reply(started.state, "authorize-return", "order.return-authorized", { amount: 4500 });
		const rejected = reply(authorized.state, "collect-return", "shipping.return-rejected", { reason: "x" });
		expect(rejected.state.failureReason).toBe("pickup_unavailable");
		expect(sent(rejected)).toEqual(["order.release-return"]);

		const refused = reply(started.state, "authorize-return", "order.return-refused", {
			reason: "return_exceeds_order",
		});
		expect(refused.state).toMatchObject({ phase: "compensated", failureReason: "return_refused" });
		expect(sent(refused)).toEqual([]);
	});

	it("a refund billing refuses past the pivot is never undone: the return is flagged for a person", () => {
		const back = applyEvent(
			def,
			waitingForGoods().state,
			{ id: "e1", type: "shipping.return-delivered", key: ID, payload: {} },
			T0,
		);
		const restocked = reply(
			reply(back.state, "restock[MUG]", "inventory.stock-restocked").state,
			"restock[TEE]",
			"inventory.stock-restocked",
		);
		const refused = reply(restocked.state, "refund", "billing.refund-refused", { reason: "exceeds_captured" });
		expect(refused.state).toMatchObject({ phase: "running", needsAttention: true });
		expect(sent(refused)).toEqual([]);
	});
});
