import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue } from "../../../shared/testing/queues";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import worker from "../src/index";

const deadLetters = new TappedQueue(env.DEAD_LETTERS);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, DEAD_LETTERS: deadLetters }, "billing-commands", bodies);
const payments = (orderId: string) => env.PAYMENTS.get(env.PAYMENTS.idFromName(orderId));
const returnId = (n: number) => `ret_${n.toString(16).padStart(24, "0")}`;

/** A return's refund: its saga (the correlation) is the return's, the payment the order's it names. */
const refund = (orderId: string, ret: string, amount: number) =>
	message("billing.refund-payment", { orderId, returnId: ret, amount }, { correlationId: ret });

async function captured(orderId: string) {
	await deliver([message("billing.authorize-payment", { orderId, amount: 4200, currency: "EUR", paymentToken: "t" })]);
	await deliver([message("billing.capture-payment", { orderId })]);
}

const replyOf = async (orderId: string, commandId: string) =>
	(await recordedReplies(payments(orderId), commandId))?.[0];

describe("Refunds of returns", () => {
	it("refunds part of a capture once per return, however often the command comes, under any command id", async () => {
		const orderId = testOrderId(1);
		await captured(orderId);
		const first = refund(orderId, returnId(1), 1000);
		await deliver([first, first]);
		await deliver([refund(orderId, returnId(1), 1000)]);
		await deliver([refund(orderId, returnId(2), 3200)]);
		expect(await payments(orderId).view()).toMatchObject({
			status: "captured",
			refunded: 4200,
			refunds: [
				{ returnId: returnId(1), amount: 1000 },
				{ returnId: returnId(2), amount: 3200 },
			],
		});
		expect(await replyOf(orderId, first.id)).toMatchObject({
			type: "billing.payment-refunded",
			correlationId: returnId(1),
			payload: { orderId, returnId: returnId(1), amount: 1000, refundedTotal: 1000 },
		});
	});

	it("refuses a refund beyond what was captured in all, and one of a payment never captured", async () => {
		const orderId = testOrderId(2);
		await captured(orderId);
		await deliver([refund(orderId, returnId(3), 4000)]);
		const over = refund(orderId, returnId(4), 201);
		await deliver([over]);
		expect(await replyOf(orderId, over.id)).toMatchObject({
			type: "billing.refund-refused",
			payload: { returnId: returnId(4), reason: "exceeds_captured" },
		});
		expect(await payments(orderId).view()).toMatchObject({ refunded: 4000 });

		const uncaptured = testOrderId(3);
		await deliver([
			message("billing.authorize-payment", { orderId: uncaptured, amount: 4200, currency: "EUR", paymentToken: "t" }),
		]);
		const early = refund(uncaptured, returnId(5), 100);
		await deliver([early]);
		expect(await replyOf(uncaptured, early.id)).toMatchObject({
			type: "billing.refund-refused",
			payload: { reason: "not_captured" },
		});
		expect(await payments(uncaptured).view()).toMatchObject({ refunded: 0 });
	});
});
