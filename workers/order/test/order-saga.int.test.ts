import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message } from "../../../shared/testing/messages";
import { outboxRows } from "../../../shared/testing/workerd";
import {
	authorized,
	call,
	deliver,
	draft,
	place,
	replyTo,
	reserved,
	saga,
	sent,
	skipOrderTime,
	throughPivot,
	toCompletion,
	view,
} from "./support";

describe("OrderSaga", () => {
	it("runs the placement saga to completion, then follows the carrier to delivered", async () => {
		const orderId = await place();
		expect(await view(orderId)).toMatchObject({
			status: "pending",
			total: 2500,
			saga: { version: 1, step: "reserve-stock" },
		});
		await throughPivot(orderId);
		expect((await view(orderId)).status).toBe("confirmed");
		await deliver([
			replyTo(orderId, "capture-payment", "billing.payment-captured", { amount: 2500, invoiceId: "inv" }),
		]);
		await deliver([replyTo(orderId, "commit-stock", "inventory.stock-committed")]);
		await deliver([replyTo(orderId, "confirm-pickup", "shipping.pickup-confirmed")]);
		expect((await view(orderId)).saga.phase).toBe("completed");
		await deliver([message("shipping.picked-up", { orderId })]);
		expect((await view(orderId)).status).toBe("shipped");
		await deliver([message("shipping.delivered", { orderId }), message("shipping.in-transit", { orderId })]);
		expect((await view(orderId)).status).toBe("delivered");
		expect(await sent(orderId)).toEqual([
			"inventory.reserve-stock",
			"billing.authorize-payment",
			"shipping.schedule-pickup",
			"billing.capture-payment",
			"inventory.commit-stock",
			"shipping.confirm-pickup",
		]);
		expect(await outboxRows(saga(orderId))).toBe(0);
		expect(await runDurableObjectAlarm(saga(orderId))).toBe(false);
	});

	it("asks the shipment for its carrier events again when they do not arrive, until delivered", async () => {
		const orderId = await place();
		await toCompletion(orderId);
		for (const attempt of [1, 2]) {
			expect(await skipOrderTime(orderId)).toBe(true);
			const asked = (await saga(orderId).history()).filter((h) => h.name === "shipping.report-shipment");
			expect(asked.map((h) => h.messageId)).toHaveLength(attempt);
			expect(asked.at(-1)?.messageId).toBe(`${orderId}.report-shipment.${attempt}`);
		}
		await deliver([message("shipping.delivered", { orderId }, { id: `${orderId}.shipping.delivered` })]);
		expect((await view(orderId)).status).toBe("delivered");
		expect(await runDurableObjectAlarm(saga(orderId))).toBe(false);
	});

	it("changes nothing for a reply delivered twice, late, or for a step it is not waiting for", async () => {
		const orderId = await place();
		await deliver([reserved(orderId), reserved(orderId)]);
		const after = await view(orderId);
		const entries = (await saga(orderId).history()).length;
		await deliver([reserved(orderId)]);
		await deliver([replyTo(orderId, "schedule-pickup", "shipping.pickup-scheduled", { pickupId: "p" })]);
		await deliver([
			replyTo(orderId, "reserve-stock", "inventory.stock-rejected", { reason: "out_of_stock", skus: [] }),
		]);
		expect(await view(orderId)).toEqual(after);
		const history = await saga(orderId).history();
		expect(history.slice(entries).map((h) => h.kind)).toEqual(["ignored", "ignored"]);
		expect(history.filter((h) => h.kind === "reply")).toHaveLength(1);
	});

	it("re-sends a command with the same id and a longer deadline, then times out and compensates", async () => {
		const orderId = await place();
		await deliver([reserved(orderId)]);
		const waits: number[] = [];
		for (const attempt of [2, 3]) {
			expect(await skipOrderTime(orderId)).toBe(true);
			expect((await view(orderId)).saga).toMatchObject({ step: "authorize-payment", attempt });
			const [timer] = (await saga(orderId).pending()).timers;
			waits.push((timer?.dueAt ?? 0) - Date.now());
		}
		// Backoff: each re-send waits twice as long as the one before (120 s, then 240 s with a 60 s first deadline).
		expect(waits[0]).toBeGreaterThan(100_000);
		expect(waits[1]).toBeGreaterThan(220_000);
		const retries = (await saga(orderId).history()).filter((h) => h.kind === "retry");
		expect(retries.map((r) => r.messageId)).toEqual([`${orderId}.authorize-payment`, `${orderId}.authorize-payment`]);

		await skipOrderTime(orderId);
		expect((await view(orderId)).saga.phase).toBe("compensating");
		expect((await sent(orderId)).slice(-2)).toEqual(["billing.authorize-payment", "billing.void-payment"]);
		await deliver([replyTo(orderId, "authorize-payment.undo", "billing.payment-voided")]);
		expect((await sent(orderId)).at(-1)).toBe("inventory.release-stock");
		await deliver([replyTo(orderId, "reserve-stock.undo", "inventory.stock-released")]);
		expect(await view(orderId)).toMatchObject({ status: "cancelled", failureReason: "timeout" });

		const settled = await view(orderId);
		await deliver([authorized(orderId)]);
		expect(await view(orderId)).toEqual(settled);
		expect(await runDurableObjectAlarm(saga(orderId))).toBe(false);
	});

	it("compensates every started step in reverse order when a pickup never answers", async () => {
		const orderId = await place();
		await deliver([reserved(orderId)]);
		await deliver([authorized(orderId)]);
		for (let i = 0; i < 3; i++) await skipOrderTime(orderId);
		expect((await sent(orderId)).at(-1)).toBe("shipping.cancel-pickup");
		await deliver([replyTo(orderId, "schedule-pickup.undo", "shipping.pickup-cancelled")]);
		await deliver([replyTo(orderId, "authorize-payment.undo", "billing.payment-voided")]);
		await deliver([replyTo(orderId, "reserve-stock.undo", "inventory.stock-released")]);
		expect((await sent(orderId)).slice(-3)).toEqual([
			"shipping.cancel-pickup",
			"billing.void-payment",
			"inventory.release-stock",
		]);
		expect(await view(orderId)).toMatchObject({ status: "cancelled", failureReason: "timeout" });
	});

	it("on each rejection (stock, payment, pickup) undoes exactly the steps before it, latest first", async () => {
		const undone = async (orderId: string) => (await sent(orderId)).filter((s) => /release|void|cancel/.test(s));

		const noStock = await place();
		await deliver([
			replyTo(noStock, "reserve-stock", "inventory.stock-rejected", { reason: "out_of_stock", skus: ["MUG"] }),
		]);
		expect(await view(noStock)).toMatchObject({ status: "cancelled", failureReason: "out_of_stock" });
		expect(await undone(noStock)).toEqual([]);

		const declined = await place();
		await deliver([reserved(declined)]);
		await deliver([replyTo(declined, "authorize-payment", "billing.payment-declined", { reason: "payment_declined" })]);
		await deliver([replyTo(declined, "reserve-stock.undo", "inventory.stock-released")]);
		expect(await view(declined)).toMatchObject({ status: "cancelled", failureReason: "payment_declined" });
		expect(await undone(declined)).toEqual(["inventory.release-stock"]);

		const noPickup = await place();
		await deliver([reserved(noPickup)]);
		await deliver([authorized(noPickup)]);
		await deliver([
			replyTo(noPickup, "schedule-pickup", "shipping.pickup-rejected", { reason: "shipping_unavailable" }),
		]);
		await deliver([replyTo(noPickup, "authorize-payment.undo", "billing.payment-voided")]);
		await deliver([replyTo(noPickup, "reserve-stock.undo", "inventory.stock-released")]);
		expect(await view(noPickup)).toMatchObject({ status: "cancelled", failureReason: "shipping_unavailable" });
		expect(await undone(noPickup)).toEqual(["billing.void-payment", "inventory.release-stock"]);
	});

	it("accepts a cancel before the pivot and refuses it after", async () => {
		const early = await place();
		await deliver([reserved(early)]);
		expect((await call("POST", `/orders/${early}/cancel`)).status).toBe(202);
		expect((await call("POST", `/orders/${early}/cancel`)).status).toBe(202);
		expect((await sent(early)).slice(-2)).toEqual(["billing.authorize-payment", "billing.void-payment"]);
		await deliver([replyTo(early, "authorize-payment.undo", "billing.payment-voided")]);
		expect((await sent(early)).at(-1)).toBe("inventory.release-stock");
		await deliver([replyTo(early, "reserve-stock.undo", "inventory.stock-released")]);
		expect(await view(early)).toMatchObject({ status: "cancelled", failureReason: "customer_cancelled" });
		expect((await call("POST", `/orders/${early}/cancel`)).status).toBe(409);

		const late = await place();
		await throughPivot(late);
		const refused = await call("POST", `/orders/${late}/cancel`);
		expect(refused.status).toBe(409);
		expect(await refused.json()).toMatchObject({ code: "order_not_cancellable", status: "confirmed" });
	});

	it("replays the first answer to the same request and refuses another body under the same id", async () => {
		const d = draft();
		const first = await call("POST", "/orders", d);
		const again = await call("POST", "/orders", d);
		expect(again.status).toBe(202);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(await again.json()).toEqual(await first.json());
		const other = await call("POST", "/orders", { ...d, requestHash: "b".repeat(64) });
		expect(other.status).toBe(422);
		expect(await other.json()).toMatchObject({ code: "idempotency_key_reused" });
		expect((await saga(d.orderId).history()).filter((h) => h.name === "inventory.reserve-stock")).toHaveLength(1);
	});
});
