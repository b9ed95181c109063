import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import { usage } from "../../../shared/observability/usage";
import { message, TRACEPARENT, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue, tapQueue, tapService } from "../../../shared/testing/queues";
import { deliver as deliverBatch, outboxRows, relayDone } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import worker from "../src/index";
import {
	authorized,
	call,
	draft,
	listed,
	place,
	reserved,
	saga,
	scheduled,
	summary,
	throughPivot,
	undoAll,
	view,
} from "./support";

type Summary = Payload<"order.summary-changed">;

const deadLetters = new TappedQueue(env.ORDER_READ_MODEL_DLQ);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, ORDER_READ_MODEL_DLQ: deadLetters }, "order-read-model", bodies);

const event = (type: string, s: Summary) => message(type, s, { id: `${s.orderId}.${type}.${s.revision}` });

const WAIT = { timeout: 10_000, interval: 100 };

describe("the read model, fed from the order's events on its own queue", () => {
	it("keeps each order's newest revision through repeats and events that arrive out of order", async () => {
		const orderId = testOrderId(101);
		const placed = event("order.placed", summary(orderId, 1, "pending", "running", "cust-rm"));
		const confirmed = event("order.confirmed", summary(orderId, 5, "confirmed", "running", "cust-rm"));
		const first = await deliver([placed, confirmed, placed]);
		expect(first.retryMessages).toEqual([]);
		expect(first.explicitAcks).toHaveLength(3);
		expect(await listed(orderId)).toMatchObject({ status: "confirmed", phase: "running", customerId: "cust-rm" });

		// Older news, late, in a later batch, and a repeat of the newest: nothing moves back.
		const late = await deliver([
			event("order.summary-changed", summary(orderId, 3, "pending", "running", "cust-rm")),
			confirmed,
		]);
		expect(late.explicitAcks).toHaveLength(2);
		expect(await listed(orderId)).toMatchObject({ status: "confirmed", updatedAt: "2026-01-01T00:00:05.000Z" });
		// Older news alone in its batch: the database, not the batch, keeps it from moving back.
		const alone = await deliver([event("order.summary-changed", summary(orderId, 2, "pending", "running", "cust-rm"))]);
		expect(alone.explicitAcks).toHaveLength(1);
		expect(await listed(orderId)).toMatchObject({ status: "confirmed", updatedAt: "2026-01-01T00:00:05.000Z" });

		// Delivered overtakes shipped within one batch.
		await deliver([
			event("order.delivered", summary(orderId, 9, "delivered", "completed", "cust-rm")),
			event("order.shipped", summary(orderId, 7, "shipped", "completed", "cust-rm")),
		]);
		expect(await listed(orderId)).toMatchObject({ status: "delivered", phase: "completed" });
		expect(deadLetters.sent).toEqual([]);
	});

	it("applies a queue batch in one D1 batch, one statement per order, the newest revision of each", async () => {
		const [a, b, c] = [testOrderId(111), testOrderId(112), testOrderId(113)];
		const before = usage.snapshot();
		const result = await deliver([
			event("order.placed", summary(a, 1, "pending", "running", "cust-rm")),
			event("order.placed", summary(b, 1, "pending", "running", "cust-rm")),
			event("order.confirmed", summary(a, 4, "confirmed", "running", "cust-rm")),
			event("order.placed", summary(c, 1, "pending", "running", "cust-rm")),
			event("order.cancelled", summary(b, 6, "cancelled", "compensated", "cust-rm")),
			event("order.placed", summary(a, 1, "pending", "running", "cust-rm")),
		]);
		const after = usage.snapshot();
		expect(result.explicitAcks).toHaveLength(6);
		expect(after.d1Batches - before.d1Batches).toBe(1);
		expect(after.d1Statements - before.d1Statements).toBe(3);
		expect(after.d1RowsWritten - before.d1RowsWritten).toBeGreaterThan(0);
		expect(await listed(a)).toMatchObject({ status: "confirmed" });
		expect(await listed(b)).toMatchObject({ status: "cancelled", phase: "compensated" });
		expect(await listed(c)).toMatchObject({ status: "pending" });
	});

	it("retries the whole queue batch when its D1 batch fails, and applies it once on the next delivery", async () => {
		const orderId = testOrderId(121);
		const bodies = [
			event("order.placed", summary(orderId, 1, "pending", "running", "cust-rm")),
			event("order.confirmed", summary(orderId, 4, "confirmed", "running", "cust-rm")),
		];
		const unavailable = (env as unknown as { UNMIGRATED_DB: D1Database }).UNMIGRATED_DB;
		const failed = await deliverBatch(
			worker,
			{ ...env, ORDER_READ_MODEL_DLQ: deadLetters, ORDERS_DB: unavailable },
			"order-read-model",
			bodies,
		);
		expect(failed.explicitAcks).toEqual([]);
		expect(failed.retryMessages).toHaveLength(2);
		expect(await listed(orderId)).toBeNull();
		const retried = await deliver(bodies);
		expect(retried.explicitAcks).toHaveLength(2);
		expect(await listed(orderId)).toMatchObject({ status: "confirmed" });
		expect(deadLetters.sent).toEqual([]);
	});

	it("dead-letters what it can never apply, with the reason, and applies the rest of the batch", async () => {
		const orderId = testOrderId(102);
		const good = event("order.placed", summary(orderId, 1, "pending", "running", "cust-rm"));
		const notAnEvent = message("billing.payment-captured", { orderId, amount: 2500 });
		const { customerId: _, ...withoutCustomer } = summary(orderId, 2, "cancelled", "compensated", "cust-rm");
		const unparsable = message("order.cancelled", withoutCustomer);
		const result = await deliver([{ hello: "world" }, notAnEvent, unparsable, good]);
		expect(result.retryMessages).toEqual([]);
		expect(result.explicitAcks).toHaveLength(4);
		expect(await listed(orderId)).toMatchObject({ status: "pending" });
		expect(deadLetters.sent).toMatchObject([
			{ queue: "order-read-model", service: "order", reason: expect.stringContaining("envelope") },
			{ queue: "order-read-model", reason: expect.stringContaining("does not take billing.payment-captured") },
			{ queue: "order-read-model", reason: expect.stringContaining("customerId"), body: { id: unparsable.id } },
		]);
	});

	it("hears from an order through its outbox: placed, then cancelled, each by a real queue", async () => {
		const orderId = await place();
		await vi.waitFor(async () => expect(await listed(orderId)).toMatchObject({ status: "pending" }), WAIT);
		await call("POST", `/orders/${orderId}/cancel`);
		await undoAll(orderId);
		await vi.waitFor(
			async () => expect(await listed(orderId)).toMatchObject({ status: "cancelled", phase: "compensated" }),
			WAIT,
		);
		expect(await listed(orderId)).toMatchObject({ failureReason: "customer_cancelled" });
	});

	it("sends the read model only the newest news of the order when replies made it newer before it left", async () => {
		const d = draft();
		// The contexts answer the saga's first commands at once, in the call: placed and confirmed in one relay.
		const answers = (type: string, reply: (orderId: string) => Envelope) => (command: Envelope) =>
			command.type === type ? [{ ...reply(command.correlationId), replyTo: command.replyTo }] : [];
		await tapService(saga(d.orderId), "INVENTORY", { answer: answers("inventory.reserve-line", reserved) });
		await tapService(saga(d.orderId), "BILLING", { answer: answers("billing.authorize-payment", authorized) });
		await tapService(saga(d.orderId), "SHIPPING", { answer: answers("shipping.schedule-pickup", scheduled) });
		const readModel = await tapQueue(saga(d.orderId), shardFor("order-read-model", d.orderId).producer);
		const billing = await tapQueue(saga(d.orderId), shardFor("billing-events", d.orderId).producer);
		await place(d);
		expect((await view(d.orderId)).status).toBe("confirmed");
		await relayDone(saga(d.orderId));
		// order.placed was replaced while it waited: the read model keeps only the newest revision anyway.
		expect(readModel.sent.map((m) => (m as Envelope).type)).toEqual(["order.confirmed"]);
		expect(billing.sent.map((m) => (m as Envelope).type)).toEqual(["order.confirmed"]);
		expect(await outboxRows(saga(d.orderId))).toBe(0);
		await vi.waitFor(async () => expect(await listed(d.orderId)).toMatchObject({ status: "confirmed" }), WAIT);
	});

	it("routes order.confirmed to the read model's queue and to billing's, with the order's ids, trace and summary", async () => {
		const d = draft();
		const billing = await tapQueue(saga(d.orderId), shardFor("billing-events", d.orderId).producer);
		const readModel = await tapQueue(saga(d.orderId), shardFor("order-read-model", d.orderId).producer);
		await place(d);
		await throughPivot(d.orderId);
		const confirmed = (readModel.sent as { type: string }[]).filter((m) => m.type === "order.confirmed");
		expect(confirmed).toHaveLength(1);
		expect(billing.sent).toEqual(confirmed);
		expect(billing.sent[0]).toMatchObject({
			id: `${d.orderId}.order.confirmed`,
			source: "order",
			correlationId: d.orderId,
			traceparent: expect.stringMatching(new RegExp(`^00-${TRACEPARENT.split("-")[1]}-`)),
			payload: { orderId: d.orderId, status: "confirmed", customerId: "cust-1", total: 2500, currency: "EUR" },
		});
		// Only what billing acts on goes to its queue; the read model hears every change, newest revision last.
		expect((readModel.sent as { type: string }[]).map((m) => m.type)).toEqual(["order.placed", "order.confirmed"]);
		const revisions = (readModel.sent as { payload: Summary }[]).map((m) => m.payload.revision);
		expect(revisions[1]).toBeGreaterThan(revisions[0] as number);
		await vi.waitFor(async () => expect(await listed(d.orderId)).toMatchObject({ status: "confirmed" }), WAIT);
	});
});
