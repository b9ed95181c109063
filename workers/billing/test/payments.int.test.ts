import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue } from "../../../shared/testing/queues";
import { skipTime, timers } from "../../../shared/testing/time";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import worker from "../src/index";

const deadLetters = new TappedQueue(env.DEAD_LETTERS);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, DEAD_LETTERS: deadLetters }, "billing-commands", bodies);
const payments = (orderId: string) => env.PAYMENTS.get(env.PAYMENTS.idFromName(orderId));
const authorize = (orderId: string, paymentToken = "tok_visa") =>
	message("billing.authorize-payment", { orderId, amount: 4200, currency: "EUR", paymentToken });

describe("Payments, through real queue batches", () => {
	it("authorizes once and captures once, however often each command is delivered", async () => {
		const orderId = testOrderId(1);
		const auth = authorize(orderId);
		const capture = message("billing.capture-payment", { orderId });
		await deliver([auth, auth]);
		await deliver([capture, capture]);
		await deliver([capture]);
		expect(await payments(orderId).view()).toMatchObject({
			status: "captured",
			amount: 4200,
			authorizations: 1,
			captures: 1,
			invoices: 0,
		});
		// The capture takes the money; the invoice comes from order.confirmed.
		expect(await payments(orderId).view()).not.toHaveProperty("invoiceId");
		const [captured] = (await recordedReplies(payments(orderId), capture.id)) ?? [];
		expect(captured).toMatchObject({
			type: "billing.payment-captured",
			causationId: capture.id,
			payload: { amount: 4200 },
		});
	});

	it("declines tok_decline, and a void of it changes nothing", async () => {
		const orderId = testOrderId(2);
		const auth = authorize(orderId, "tok_decline");
		await deliver([auth, message("billing.void-payment", { orderId })]);
		expect(await payments(orderId).view()).toMatchObject({ status: "declined", authorizations: 0 });
		expect((await recordedReplies(payments(orderId), auth.id))?.[0]?.payload).toMatchObject({
			reason: "payment_declined",
		});
	});

	it("voids a payment under review, and keeps no timer of its own for it", async () => {
		const orderId = testOrderId(4);
		await deliver([authorize(orderId, "tok_review"), message("billing.void-payment", { orderId })]);
		expect(await timers(payments(orderId))).toEqual({});
		expect(await skipTime(payments(orderId), { ms: 3_600_000 })).toBe(false);
		expect(await payments(orderId).view()).toMatchObject({ status: "voided", authorizations: 0 });
	});

	it("never authorizes a payment voided before its authorization arrived (out of order)", async () => {
		const orderId = testOrderId(5);
		await deliver([message("billing.void-payment", { orderId })]);
		const late = authorize(orderId);
		await deliver([late]);
		expect(await payments(orderId).view()).toMatchObject({ status: "voided", authorizations: 0 });
		expect((await recordedReplies(payments(orderId), late.id))?.[0]).toMatchObject({
			type: "billing.payment-declined",
			payload: { reason: "voided" },
		});
	});

	it("dead-letters a void of a captured payment instead of retrying it", async () => {
		const orderId = testOrderId(6);
		await deliver([authorize(orderId)]);
		await deliver([message("billing.capture-payment", { orderId })]);
		const voided = message("billing.void-payment", { orderId });
		const result = await deliver([voided]);
		expect(result.retryMessages).toEqual([]);
		expect(result.explicitAcks).toHaveLength(1);
		expect(await payments(orderId).view()).toMatchObject({ status: "captured" });
		expect(deadLetters.sent).toMatchObject([
			{ queue: "billing-commands", reason: expect.stringContaining("cannot be voided"), body: { id: voided.id } },
		]);
	});

	it("gives an authorization an id, and refuses a capture or void naming another one", async () => {
		const orderId = testOrderId(8);
		const auth = authorize(orderId);
		await deliver([auth]);
		const [authorized] = (await recordedReplies(payments(orderId), auth.id)) ?? [];
		const authorizationId = `auth_${orderId.slice(4)}`;
		expect(authorized?.payload).toMatchObject({ authorizationId });
		const before = deadLetters.sent.length;
		for (const wrong of ["billing.capture-payment", "billing.void-payment"])
			await deliver([message(wrong, { orderId, authorizationId: "auth_someone-else" })]);
		expect(deadLetters.sent.slice(before)).toMatchObject([
			{ reason: expect.stringContaining("is not this payment's") },
			{ reason: expect.stringContaining("is not this payment's") },
		]);
		await deliver([message("billing.capture-payment", { orderId, authorizationId })]);
		expect(await payments(orderId).view()).toMatchObject({ status: "captured", captures: 1, authorizationId });
	});

	it("answers a command on the saga it names: the reply carries the command's replyTo", async () => {
		const orderId = testOrderId(9);
		const replyTo = { kind: "order-placement", id: orderId };
		const auth = { ...authorize(orderId), replyTo };
		await deliver([auth]);
		const [answer] = (await recordedReplies(payments(orderId), auth.id)) ?? [];
		expect(answer).toMatchObject({ type: "billing.payment-authorized", causationId: auth.id, replyTo });
		const unnamed = authorize(testOrderId(10));
		await deliver([unnamed]);
		expect((await recordedReplies(payments(testOrderId(10)), unnamed.id))?.[0]).not.toHaveProperty("replyTo");
	});
});
