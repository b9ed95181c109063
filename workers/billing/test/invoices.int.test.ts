import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue } from "../../../shared/testing/queues";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import worker from "../src/index";

const deadLetters = new TappedQueue(env.BILLING_EVENTS_DLQ);
const onQueue = (queue: string) => (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, BILLING_EVENTS_DLQ: deadLetters }, queue, bodies);
const deliverEvents = onQueue("billing-events");
const deliverCommands = onQueue("billing-commands");
const payments = (orderId: string) => env.PAYMENTS.get(env.PAYMENTS.idFromName(orderId));

const authorize = (orderId: string, paymentToken = "tok_visa") =>
	message("billing.authorize-payment", { orderId, amount: 4200, currency: "EUR", paymentToken });
const confirmed = (orderId: string) =>
	message(
		"order.confirmed",
		{
			orderId,
			revision: 4,
			status: "confirmed",
			phase: "running",
			needsAttention: false,
			customerId: "cust-1",
			total: 4200,
			currency: "EUR",
			failureReason: null,
			createdAt: "2026-01-01T00:00:00.000Z",
			updatedAt: "2026-01-01T00:00:04.000Z",
		},
		{ id: `${orderId}.order.confirmed` },
	);

describe("Invoices, issued from order.confirmed on billing's own queue", () => {
	it("issues one invoice however often the event comes, before the capture, and the capture keeps it", async () => {
		const orderId = testOrderId(11);
		await deliverCommands([authorize(orderId)]);
		const event = confirmed(orderId);
		const first = await deliverEvents([event, event]);
		expect(first.retryMessages).toEqual([]);
		expect(first.explicitAcks).toHaveLength(2);
		await deliverEvents([event]);
		expect(await payments(orderId).view()).toMatchObject({
			status: "authorized",
			invoiceId: "inv_00000000000000000000000b",
			invoices: 1,
		});
		// Fire and forget: nothing goes back to the order.
		expect(await recordedReplies(payments(orderId), event.id)).toEqual([]);

		await deliverCommands([message("billing.capture-payment", { orderId })]);
		expect(await payments(orderId).view()).toMatchObject({ status: "captured", captures: 1, invoices: 1 });
	});

	it("issues the invoice of a payment captured before the event arrived", async () => {
		const orderId = testOrderId(12);
		await deliverCommands([authorize(orderId)]);
		await deliverCommands([message("billing.capture-payment", { orderId })]);
		expect(await payments(orderId).view()).toMatchObject({ status: "captured", invoices: 0 });
		await deliverEvents([confirmed(orderId)]);
		expect(await payments(orderId).view()).toMatchObject({
			status: "captured",
			invoiceId: expect.any(String),
			invoices: 1,
		});
	});

	it("dead-letters a confirmation it can never act on, with the reason, instead of retrying it", async () => {
		const declined = testOrderId(13);
		await deliverCommands([authorize(declined, "tok_decline")]);
		const forDeclined = confirmed(declined);
		const command = message("billing.capture-payment", { orderId: testOrderId(14) });
		const result = await deliverEvents([forDeclined, command]);
		expect(result.retryMessages).toEqual([]);
		expect(result.explicitAcks).toHaveLength(2);
		expect(await payments(declined).view()).toMatchObject({ status: "declined", invoices: 0 });
		expect(await payments(declined).view()).not.toHaveProperty("invoiceId");
		expect(deadLetters.sent).toEqual(
			expect.arrayContaining([
				expect.objectContaining({
					queue: "billing-events",
					reason: expect.stringContaining("payment is declined"),
					body: expect.objectContaining({ id: forDeclined.id }),
				}),
				expect.objectContaining({
					queue: "billing-events",
					reason: "billing does not take billing.capture-payment",
				}),
			]),
		);
		expect(deadLetters.sent).toHaveLength(2);
	});
});
