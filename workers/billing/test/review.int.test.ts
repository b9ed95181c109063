import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/envelope";
import { message, TRACEPARENT, testOrderId } from "../../../shared/testing/messages";
import { tapQueue } from "../../../shared/testing/queues";
import { timers } from "../../../shared/testing/time";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import worker from "../src/index";

const deliver = (bodies: unknown[]) => deliverBatch(worker, env, "billing-commands", bodies);
const payments = (orderId: string) => env.PAYMENTS.get(env.PAYMENTS.idFromName(orderId));
const authorize = (orderId: string, paymentToken = "tok_review") =>
	message("billing.authorize-payment", { orderId, amount: 4200, currency: "EUR", paymentToken });

/** A decision as the gateway forwards it: with the verified admin as `x-actor`. */
async function review(orderId: string, body: unknown, actor = "ops-ada") {
	const res = await worker.fetch(
		new Request(`https://billing/admin/payments/${orderId}/review`, {
			method: "POST",
			headers: { "content-type": "application/json", traceparent: TRACEPARENT, "x-actor": actor },
			body: JSON.stringify(body),
		}),
		env,
		createExecutionContext(),
	);
	return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A payment held for review, with a tap on the queue its decision is published to. */
async function held(n: number) {
	const orderId = testOrderId(n);
	const auth = authorize(orderId);
	await deliver([auth]);
	const events = await tapQueue(payments(orderId), shardFor("order-events", orderId).producer);
	return { orderId, auth, events };
}
const published = (sent: unknown[]) =>
	sent.map((m) => m as Envelope).filter((m) => m.type === "billing.payment-reviewed");

describe("A payment held for review", () => {
	it("answers the authorization 'held', again to a repeat, and waits for a reviewer with no timer of its own", async () => {
		const { orderId, auth } = await held(1);
		const [answer] = (await recordedReplies(payments(orderId), auth.id)) ?? [];
		expect(answer).toMatchObject({ type: "billing.payment-held", causationId: auth.id, payload: { reason: "review" } });
		const repeat = authorize(orderId);
		await deliver([repeat]);
		expect((await recordedReplies(payments(orderId), repeat.id))?.map((m) => m.type)).toEqual(["billing.payment-held"]);
		expect(await payments(orderId).view()).toMatchObject({ status: "reviewing", authorizations: 0 });
		expect(await timers(payments(orderId))).toEqual({});
	});

	it("approved: authorized once, and the decision published to the order under one id with who decided; the same decision again answers the same", async () => {
		const { orderId, events } = await held(2);
		const first = await review(orderId, { decision: "approve" });
		expect(first).toEqual({
			status: 200,
			json: { orderId, decision: "approve", authorizationId: `auth_${orderId.slice(4)}`, by: "ops-ada" },
		});
		expect(await payments(orderId).view()).toMatchObject({
			status: "authorized",
			authorizations: 1,
			review: "approve",
		});
		// Asked again by someone else: the decision stays the first reviewer's.
		const again = await review(orderId, { decision: "approve" }, "ops-bob");
		expect(again).toEqual(first);
		expect(await payments(orderId).view()).toMatchObject({ authorizations: 1 });
		const sent = published(events.sent);
		expect(sent).toHaveLength(2);
		expect(sent[0]).toMatchObject({
			id: `${orderId}.payment-reviewed`,
			correlationId: orderId,
			source: "billing",
			payload: { orderId, decision: "approve", authorizationId: `auth_${orderId.slice(4)}`, by: "ops-ada" },
		});
		expect(sent[1]?.id).toBe(sent[0]?.id);
		expect(sent[0]?.traceparent.split("-")[1]).toBe(TRACEPARENT.split("-")[1]);
	});

	it("declined: declined, no authorization; approving it afterwards is a 409 conflict that changes nothing", async () => {
		const { orderId, events } = await held(3);
		expect((await review(orderId, { decision: "decline" })).json).toEqual({
			orderId,
			decision: "decline",
			by: "ops-ada",
		});
		const conflict = await review(orderId, { decision: "approve" });
		expect(conflict.status).toBe(409);
		expect(conflict.json).toMatchObject({ code: "review_already_decided" });
		expect(await payments(orderId).view()).toMatchObject({ status: "declined", authorizations: 0, review: "decline" });
		expect(published(events.sent).map((m) => (m.payload as { decision: string }).decision)).toEqual(["decline"]);
	});

	it("refuses a decision on no payment (404), one never held or voided before a decision (409), and a bad body (422), changing nothing", async () => {
		expect((await review(testOrderId(40), { decision: "approve" })).json).toMatchObject({
			status: 404,
			code: "payment_not_found",
		});
		const visa = testOrderId(41);
		await deliver([authorize(visa, "tok_visa")]);
		const voided = testOrderId(42);
		await deliver([authorize(voided), message("billing.void-payment", { orderId: voided })]);
		for (const orderId of [visa, voided]) {
			const before = await payments(orderId).view();
			const res = await review(orderId, { decision: "approve" });
			expect(res).toMatchObject({ status: 409, json: { code: "payment_not_under_review" } });
			expect(await payments(orderId).view()).toEqual(before);
		}
		const { orderId } = await held(43);
		for (const body of [{ decision: "maybe" }, {}, { decision: "approve", extra: 1 }])
			expect(await review(orderId, body)).toMatchObject({ status: 422, json: { code: "validation_failed" } });
		expect(await payments(orderId).view()).toMatchObject({ status: "reviewing" });
	});

	it("tells a decision again when the order asks (report-review), under its first id; before one is made, nothing", async () => {
		const { orderId } = await held(50);
		const before = message("billing.report-review", { orderId });
		await deliver([before]);
		expect(await recordedReplies(payments(orderId), before.id)).toEqual([]);

		await review(orderId, { decision: "approve" });
		const after = message("billing.report-review", { orderId });
		await deliver([after]);
		const [told] = (await recordedReplies(payments(orderId), after.id)) ?? [];
		expect(told).toMatchObject({
			id: `${orderId}.payment-reviewed`,
			type: "billing.payment-reviewed",
			payload: { orderId, decision: "approve", authorizationId: expect.any(String) },
		});
		expect(await payments(orderId).view()).toMatchObject({ status: "authorized", authorizations: 1 });
	});
});
