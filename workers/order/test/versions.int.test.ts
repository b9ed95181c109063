import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, deliver, place, replyTo, saga, sent, undoAll, view } from "./support";

/**
 * Rewrites an order's saga as version 1 stored it before steps ran in parallel: the payment in flight
 * after the stock was reserved, one step at a time.
 */
const storedByVersion1 = (orderId: string) =>
	runInDurableObject(saga(orderId), (_: unknown, state: DurableObjectState) => {
		state.storage.sql.exec(
			`UPDATE orders SET saga = json_object('id', ?, 'name', 'order-placement', 'version', 1, 'phase', 'running',
				'step', 1, 'attempt', 1, 'deadline', ?, 'registered', json('[0,1]'), 'compensating', NULL,
				'failureReason', NULL, 'needsAttention', json('false'), 'data', json_extract(saga, '$.data'))`,
			orderId,
			Date.now() + 60_000,
		);
	});

describe("An order that started on placement version 1", () => {
	it("loads from its stored state and carries on one step at a time, undone latest first", async () => {
		const orderId = await place();
		await storedByVersion1(orderId);
		expect(await view(orderId)).toMatchObject({
			status: "pending",
			saga: { version: 1, phase: "running", steps: ["authorize-payment"], step: "authorize-payment", attempt: 1 },
		});

		const before = (await sent(orderId)).length;
		await deliver([replyTo(orderId, "authorize-payment", "billing.payment-authorized", { amount: 2500 })]);
		expect((await sent(orderId)).slice(before)).toEqual(["shipping.schedule-pickup"]);
		expect((await view(orderId)).saga).toMatchObject({ version: 1, steps: ["schedule-pickup"] });

		expect((await call("POST", `/orders/${orderId}/cancel`)).status).toBe(202);
		const undone = async () => (await sent(orderId)).filter((s) => /release|void|cancel/.test(s));
		expect(await undone()).toEqual(["shipping.cancel-pickup"]);
		await undoAll(orderId, ["schedule-pickup"]);
		expect(await undone()).toEqual(["shipping.cancel-pickup", "billing.void-payment"]);
		await undoAll(orderId, ["authorize-payment", "reserve-stock"]);
		expect(await undone()).toEqual(["shipping.cancel-pickup", "billing.void-payment", "inventory.release-stock"]);
		expect(await view(orderId)).toMatchObject({
			status: "cancelled",
			failureReason: "customer_cancelled",
			saga: { version: 1, phase: "compensated" },
		});
	});
});
