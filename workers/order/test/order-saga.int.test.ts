import { createExecutionContext, env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { OrderDraft } from "../../../shared/api";
import { message, TRACEPARENT, testOrderId } from "../../../shared/testing/messages";
import { deliver as deliverBatch, outboxRows } from "../../../shared/testing/workerd";
import worker from "../src/index";

const deliver = (bodies: unknown[]) => deliverBatch(worker, env, "order-events", bodies);
const saga = (orderId: string) => env.ORDER_SAGA.get(env.ORDER_SAGA.idFromName(orderId));
let next = 0;

function draft(overrides: Partial<OrderDraft> = {}): OrderDraft {
	return {
		orderId: testOrderId(++next),
		requestHash: "a".repeat(64),
		customerId: "cust-1",
		items: [{ sku: "MUG", quantity: 2, unitPrice: 1250 }],
		currency: "EUR",
		shippingAddress: { name: "Ada", line1: "1 Main St", city: "Paris", postalCode: "75001", country: "FR" },
		paymentToken: "tok_visa",
		traceparent: TRACEPARENT,
		...overrides,
	};
}

const call = (method: string, path: string, body?: unknown) =>
	worker.fetch(
		new Request(`https://order${path}`, {
			method,
			headers: { "content-type": "application/json", traceparent: TRACEPARENT },
			body: body === undefined ? undefined : JSON.stringify(body),
		}),
		env,
		createExecutionContext(),
	);

async function place(d = draft()) {
	const res = await call("POST", "/orders", d);
	expect(res.status).toBe(202);
	return d.orderId;
}

/** The reply a context sends to the step's command (or compensation). */
const replyTo = (orderId: string, step: string, type: string, payload: Record<string, unknown> = {}) =>
	message(type, { orderId, ...payload }, { causationId: `${orderId}.${step}`, id: `${orderId}.${step}>${type}` });

const view = async (orderId: string) =>
	(await saga(orderId).view()) as NonNullable<Awaited<ReturnType<ReturnType<typeof saga>["view"]>>>;
const sent = async (orderId: string) =>
	(await saga(orderId).history())
		.filter((h) => ["command", "compensation", "retry"].includes(h.kind) && h.messageId)
		.map((h) => h.name);

async function throughPivot(orderId: string) {
	await deliver([replyTo(orderId, "reserve-stock", "inventory.stock-reserved")]);
	await deliver([replyTo(orderId, "authorize-payment", "billing.payment-authorized", { amount: 2500 })]);
	await deliver([replyTo(orderId, "schedule-pickup", "shipping.pickup-scheduled", { pickupId: "p" })]);
}

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
		await throughPivot(orderId);
		await deliver([
			replyTo(orderId, "capture-payment", "billing.payment-captured", { amount: 2500, invoiceId: "inv" }),
		]);
		await deliver([replyTo(orderId, "commit-stock", "inventory.stock-committed")]);
		await deliver([replyTo(orderId, "confirm-pickup", "shipping.pickup-confirmed")]);
		for (const attempt of [1, 2]) {
			expect(await runDurableObjectAlarm(saga(orderId))).toBe(true);
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
		const reserved = replyTo(orderId, "reserve-stock", "inventory.stock-reserved");
		await deliver([reserved, reserved]);
		const after = await view(orderId);
		const entries = (await saga(orderId).history()).length;
		await deliver([reserved]);
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
		await deliver([replyTo(orderId, "reserve-stock", "inventory.stock-reserved")]);
		const waits: number[] = [];
		for (const attempt of [2, 3]) {
			expect(await runDurableObjectAlarm(saga(orderId))).toBe(true);
			expect((await view(orderId)).saga).toMatchObject({ step: "authorize-payment", attempt });
			const [timer] = (await saga(orderId).pending()).timers;
			waits.push((timer?.dueAt ?? 0) - Date.now());
		}
		// Backoff: each re-send waits twice as long as the one before (120 s, then 240 s with a 60 s first deadline).
		expect(waits[0]).toBeGreaterThan(100_000);
		expect(waits[1]).toBeGreaterThan(220_000);
		const retries = (await saga(orderId).history()).filter((h) => h.kind === "retry");
		expect(retries.map((r) => r.messageId)).toEqual([`${orderId}.authorize-payment`, `${orderId}.authorize-payment`]);

		await runDurableObjectAlarm(saga(orderId));
		expect((await view(orderId)).saga.phase).toBe("compensating");
		expect((await sent(orderId)).slice(-2)).toEqual(["billing.authorize-payment", "billing.void-payment"]);
		await deliver([replyTo(orderId, "authorize-payment.undo", "billing.payment-voided")]);
		expect((await sent(orderId)).at(-1)).toBe("inventory.release-stock");
		await deliver([replyTo(orderId, "reserve-stock.undo", "inventory.stock-released")]);
		expect(await view(orderId)).toMatchObject({ status: "cancelled", failureReason: "timeout" });

		const settled = await view(orderId);
		await deliver([replyTo(orderId, "authorize-payment", "billing.payment-authorized", { amount: 2500 })]);
		expect(await view(orderId)).toEqual(settled);
		expect(await runDurableObjectAlarm(saga(orderId))).toBe(false);
	});

	it("compensates every started step in reverse order when a pickup never answers", async () => {
		const orderId = await place();
		await deliver([replyTo(orderId, "reserve-stock", "inventory.stock-reserved")]);
		await deliver([replyTo(orderId, "authorize-payment", "billing.payment-authorized", { amount: 2500 })]);
		for (let i = 0; i < 3; i++) await runDurableObjectAlarm(saga(orderId));
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

	it("accepts a cancel before the pivot and refuses it after", async () => {
		const early = await place();
		await deliver([replyTo(early, "reserve-stock", "inventory.stock-reserved")]);
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
