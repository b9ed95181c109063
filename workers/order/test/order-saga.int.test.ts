import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message } from "../../../shared/testing/messages";
import { timerRows, timers } from "../../../shared/testing/time";
import { outboxRows } from "../../../shared/testing/workerd";
import {
	AFTER_PIVOT,
	AFTER_PIVOT_STEPS,
	authorized,
	call,
	deliver,
	draft,
	expectNothingLeftButNews,
	FORWARD,
	FORWARD_STEPS,
	place,
	replyTo,
	reserved,
	saga,
	scheduled,
	sent,
	skipOrderTime,
	throughPivot,
	toCompletion,
	UNDO,
	undoAll,
	view,
} from "./support";

describe("OrderSaga", () => {
	it("runs the placement saga to completion, then follows the carrier to delivered", async () => {
		const orderId = await place();
		// Stock, payment and pickup are independent: all three are asked at once.
		expect(await view(orderId)).toMatchObject({
			status: "pending",
			total: 2500,
			saga: { version: 3, steps: FORWARD_STEPS, step: FORWARD_STEPS.join(","), attempt: 1 },
		});
		expect(await sent(orderId)).toEqual(FORWARD);
		await deliver([reserved(orderId)]);
		await deliver([authorized(orderId)]);
		expect(await view(orderId)).toMatchObject({ status: "pending", saga: { steps: ["schedule-pickup"] } });
		await deliver([scheduled(orderId)]);
		expect(await view(orderId)).toMatchObject({ status: "confirmed", saga: { steps: AFTER_PIVOT_STEPS } });
		await deliver([
			replyTo(orderId, "capture-payment", "billing.payment-captured", { amount: 2500, invoiceId: "inv" }),
		]);
		await deliver([replyTo(orderId, "commit-stock[MUG]", "inventory.stock-committed")]);
		await deliver([replyTo(orderId, "confirm-pickup", "shipping.pickup-confirmed")]);
		expect((await view(orderId)).saga.phase).toBe("completed");
		await deliver([message("shipping.picked-up", { orderId })]);
		expect((await view(orderId)).status).toBe("shipped");
		await deliver([message("shipping.delivered", { orderId }), message("shipping.in-transit", { orderId })]);
		expect((await view(orderId)).status).toBe("delivered");
		expect(await sent(orderId)).toEqual([...FORWARD, ...AFTER_PIVOT]);
		expect(await outboxRows(saga(orderId))).toBe(0);
		await expectNothingLeftButNews(orderId);
	});

	it("stores nothing for a message naming an order never placed: no tables, no history, no timer", async () => {
		const orderId = draft().orderId;
		const result = await deliver([message("shipping.picked-up", { orderId }), authorized(orderId)]);
		expect(result.explicitAcks).toHaveLength(2);
		const tables = await runInDurableObject(saga(orderId), (_: unknown, state: DurableObjectState) =>
			state.storage.sql.exec("SELECT name FROM sqlite_master").toArray(),
		);
		expect(tables).toEqual([]);
		expect(await saga(orderId).history()).toEqual([]);
		expect(await saga(orderId).pending()).toEqual({ outbox: 0, timers: [] });
		expect(await runDurableObjectAlarm(saga(orderId))).toBe(false);
		// A return's command naming it (by RPC, answered to the caller) is ignored the same way.
		const command = message("order.authorize-return", { orderId, returnId: "ret_x", lines: [] });
		expect(await saga(orderId).execute(command)).toEqual({ outcome: "ignored", replies: [] });
		expect(await saga(orderId).history()).toEqual([]);
		// The order placed afterwards starts as any other.
		await place(draft({ orderId }));
		expect((await view(orderId)).status).toBe("pending");
	});

	it("asks the shipment for its carrier events again when they do not arrive, until delivered", async () => {
		const orderId = await place();
		await toCompletion(orderId);
		// The watch is kept in the order's row, which completing the saga wrote anyway: no timers row.
		expect(Object.keys(await timers(saga(orderId)))).toContain("carrier-watch");
		expect(await timerRows(saga(orderId))).not.toContain("carrier-watch");
		for (const attempt of [1, 2]) {
			expect(await skipOrderTime(orderId)).toBe(true);
			const asked = (await saga(orderId).history()).filter((h) => h.name === "shipping.report-shipment");
			expect(asked.map((h) => h.messageId)).toHaveLength(attempt);
			expect(asked.at(-1)?.messageId).toBe(`${orderId}.report-shipment.${attempt}`);
		}
		await deliver([message("shipping.delivered", { orderId }, { id: `${orderId}.shipping.delivered` })]);
		expect((await view(orderId)).status).toBe("delivered");
		await expectNothingLeftButNews(orderId);
	});

	it("changes nothing for a reply delivered twice, late, or for a step it is not waiting for", async () => {
		const orderId = await place();
		await deliver([reserved(orderId), reserved(orderId)]);
		const after = await view(orderId);
		const entries = (await saga(orderId).history()).length;
		await deliver([reserved(orderId)]);
		// A step after the pivot, and a reply type the step in flight does not give.
		await deliver([replyTo(orderId, "commit-stock[MUG]", "inventory.stock-committed")]);
		await deliver([
			replyTo(orderId, "authorize-payment", "billing.payment-captured", { amount: 2500, invoiceId: "i" }),
		]);
		await deliver([
			replyTo(orderId, "reserve-stock[MUG]", "inventory.stock-rejected", { reason: "out_of_stock", skus: [] }),
		]);
		expect(await view(orderId)).toEqual(after);
		const history = await saga(orderId).history();
		expect(history.slice(entries).map((h) => h.kind)).toEqual(["ignored", "ignored", "ignored"]);
		expect(history.filter((h) => h.kind === "reply")).toHaveLength(1);
	});

	it("re-sends a command with the same id and a longer deadline, then times out and compensates", async () => {
		const orderId = await place();
		await deliver([reserved(orderId), scheduled(orderId)]);
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
		// The payment may have half-happened: undone with the two that succeeded, all at once (none depends on another).
		expect(await view(orderId)).toMatchObject({ saga: { phase: "compensating", steps: FORWARD_STEPS, attempt: 1 } });
		expect((await sent(orderId)).slice(-4, -3)).toEqual(["billing.authorize-payment"]);
		expect((await sent(orderId)).slice(-3).sort()).toEqual([...UNDO].sort());
		await undoAll(orderId);
		expect(await view(orderId)).toMatchObject({ status: "cancelled", failureReason: "timeout" });

		const settled = await view(orderId);
		await deliver([authorized(orderId)]);
		expect(await view(orderId)).toEqual(settled);
		await expectNothingLeftButNews(orderId);
	});

	it("compensates every sent step when a pickup never answers, and is compensated only when all have acknowledged", async () => {
		const orderId = await place();
		await deliver([reserved(orderId)]);
		await deliver([authorized(orderId)]);
		for (let i = 0; i < 3; i++) await skipOrderTime(orderId);
		expect((await sent(orderId)).slice(-3).sort()).toEqual([...UNDO].sort());
		await deliver([replyTo(orderId, "schedule-pickup.undo", "shipping.pickup-cancelled")]);
		await deliver([replyTo(orderId, "reserve-stock[MUG].undo", "inventory.stock-released")]);
		expect(await view(orderId)).toMatchObject({
			status: "pending",
			saga: { phase: "compensating", steps: ["authorize-payment"] },
		});
		await deliver([replyTo(orderId, "authorize-payment.undo", "billing.payment-voided")]);
		expect(await view(orderId)).toMatchObject({ status: "cancelled", failureReason: "timeout" });
		expect((await sent(orderId)).filter((s) => UNDO.includes(s))).toHaveLength(3);
	});

	it("on each rejection (stock, payment, pickup) undoes every other step sent, answered or in flight, and not the rejected one", async () => {
		const undone = async (orderId: string) => (await sent(orderId)).filter((s) => /release|void|cancel/.test(s)).sort();

		// Rejected while the payment and the pickup are still in flight: both are undone all the same.
		const noStock = await place();
		await deliver([
			replyTo(noStock, "reserve-stock[MUG]", "inventory.stock-rejected", { reason: "out_of_stock", skus: ["MUG"] }),
		]);
		expect(await undone(noStock)).toEqual(["billing.void-payment", "shipping.cancel-pickup"]);
		await undoAll(noStock, ["authorize-payment", "schedule-pickup"]);
		expect(await view(noStock)).toMatchObject({ status: "cancelled", failureReason: "out_of_stock" });

		const declined = await place();
		await deliver([reserved(declined)]);
		await deliver([replyTo(declined, "authorize-payment", "billing.payment-declined", { reason: "payment_declined" })]);
		expect(await undone(declined)).toEqual(["inventory.release-line", "shipping.cancel-pickup"]);
		await undoAll(declined, ["reserve-stock[MUG]", "schedule-pickup"]);
		expect(await view(declined)).toMatchObject({ status: "cancelled", failureReason: "payment_declined" });

		const noPickup = await place();
		await deliver([reserved(noPickup)]);
		await deliver([authorized(noPickup)]);
		await deliver([
			replyTo(noPickup, "schedule-pickup", "shipping.pickup-rejected", { reason: "shipping_unavailable" }),
		]);
		expect(await undone(noPickup)).toEqual(["billing.void-payment", "inventory.release-line"]);
		await undoAll(noPickup, ["reserve-stock[MUG]", "authorize-payment"]);
		expect(await view(noPickup)).toMatchObject({ status: "cancelled", failureReason: "shipping_unavailable" });
	});

	it("accepts a cancel before the pivot and refuses it after", async () => {
		const early = await place();
		await deliver([reserved(early)]);
		expect((await call("POST", `/orders/${early}/cancel`)).status).toBe(202);
		expect((await call("POST", `/orders/${early}/cancel`)).status).toBe(202);
		// The payment and the pickup were still in flight: undone with the stock, each once.
		expect((await sent(early)).slice(FORWARD.length).sort()).toEqual([...UNDO].sort());
		await undoAll(early);
		expect(await view(early)).toMatchObject({ status: "cancelled", failureReason: "customer_cancelled" });
		expect((await call("POST", `/orders/${early}/cancel`)).status).toBe(409);

		const late = await place();
		await throughPivot(late);
		const refused = await call("POST", `/orders/${late}/cancel`);
		expect(refused.status).toBe(409);
		expect(await refused.json()).toMatchObject({
			status: 409,
			code: "order_not_cancellable",
			orderStatus: "confirmed",
		});
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
		expect((await saga(d.orderId).history()).filter((h) => h.name === "inventory.reserve-line")).toHaveLength(1);
	});
});
