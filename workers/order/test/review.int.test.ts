import { describe, expect, it } from "vitest";
import { message } from "../../../shared/testing/messages";
import { tapService } from "../../../shared/testing/queues";
import {
	call,
	deliver,
	draft,
	place,
	replyTo,
	reserved,
	saga,
	scheduled,
	sent,
	skipOrderTime,
	undoAll,
	view,
} from "./support";

const DAY = 24 * 3_600_000;

/** An order paid with tok_review: billing holds the payment, the other two steps succeed. */
async function heldForReview() {
	const orderId = await place(draft({ paymentToken: "tok_review" }));
	const billing = await tapService(saga(orderId), "BILLING");
	await deliver([reserved(orderId), scheduled(orderId)]);
	await deliver([held(orderId)]);
	return { orderId, billing };
}
const held = (orderId: string) => replyTo(orderId, "authorize-payment", "billing.payment-held", { reason: "review" });
/** The reviewer's decision as billing publishes it: an event on order-events, keyed by the order. */
const reviewed = (orderId: string, decision: "approve" | "decline") =>
	message(
		"billing.payment-reviewed",
		{ orderId, decision, ...(decision === "approve" ? { authorizationId: "auth_1" } : {}) },
		{ id: `${orderId}.payment-reviewed`, source: "billing" },
	);

describe("An order whose payment is held for review", () => {
	it("waits for the reviewer, not for its step's deadline; approved, it is confirmed and captures that authorization", async () => {
		const { orderId, billing } = await heldForReview();
		const waiting = await view(orderId);
		expect(waiting).toMatchObject({
			status: "pending",
			waitingFor: { event: "billing.payment-reviewed", key: orderId },
		});
		const until = Date.parse(waiting.waitingFor?.until as string);
		expect(until - Date.now()).toBeGreaterThan(DAY - 60_000);
		expect(until - Date.now()).toBeLessThanOrEqual(DAY);
		// Hours pass, many step deadlines: the held payment is not asked again and nothing times out.
		expect(await skipOrderTime(orderId, 6 * 3_600_000)).toBe(true);
		expect((await sent(orderId)).filter((s) => s === "billing.authorize-payment")).toHaveLength(1);
		expect(await view(orderId)).toMatchObject({ status: "pending", saga: { phase: "running" } });

		const approval = reviewed(orderId, "approve");
		expect(await deliver([approval])).toMatchObject({ retryMessages: [] });
		expect(await view(orderId)).toMatchObject({ status: "confirmed", waitingFor: null });
		expect(billing.called.find((c) => c.type === "billing.capture-payment")?.payload).toEqual({
			orderId,
			authorizationId: "auth_1",
		});
		// The decision again (billing publishes it again when asked again): dropped by the order's inbox.
		const before = (await saga(orderId).history()).length;
		await deliver([approval]);
		expect(await saga(orderId).history()).toHaveLength(before);
	});

	it("asks billing to tell a decision lost on its queue again, applies the one it tells, and stops asking", async () => {
		const { orderId, billing } = await heldForReview();
		// The reviewer decided, but the event never reached the order: billing tells it again when asked.
		billing.answer = (command) => (command.type === "billing.report-review" ? [reviewed(orderId, "approve")] : []);
		const asks = () => billing.called.filter((c) => c.type === "billing.report-review");
		expect(await skipOrderTime(orderId)).toBe(true);
		expect(asks()).toEqual([expect.objectContaining({ payload: { orderId } })]);
		expect(await view(orderId)).toMatchObject({ status: "confirmed", waitingFor: null });
		// Its watch comes back once more, finds nothing awaited, and asks nothing.
		expect(await skipOrderTime(orderId)).toBe(true);
		expect(asks()).toHaveLength(1);
		expect((await saga(orderId).history()).filter((h) => h.name === "billing.payment-reviewed")).toHaveLength(1);
	});

	it("declined: cancelled with payment_declined; stock and pickup undone, the declined payment not voided", async () => {
		const { orderId } = await heldForReview();
		await deliver([reviewed(orderId, "decline")]);
		expect(await view(orderId)).toMatchObject({ status: "pending", saga: { phase: "compensating" }, waitingFor: null });
		const undo = (await sent(orderId)).filter((s) => /release|void|cancel/.test(s));
		expect(undo.sort()).toEqual(["inventory.release-line", "shipping.cancel-pickup"]);
		await undoAll(orderId, ["reserve-stock[MUG]", "schedule-pickup"]);
		expect(await view(orderId)).toMatchObject({
			status: "cancelled",
			failureReason: "payment_declined",
			saga: { phase: "compensated" },
		});
	});

	it("nobody decides: when the wait passes the order is cancelled with timeout and every step undone, the decision after that changes nothing", async () => {
		const { orderId } = await heldForReview();
		expect(await skipOrderTime(orderId, DAY - 60_000)).toBe(true);
		expect((await view(orderId)).saga.phase).toBe("running");
		expect(await skipOrderTime(orderId, 60_000)).toBe(true);
		expect(await view(orderId)).toMatchObject({ saga: { phase: "compensating" }, waitingFor: null });
		const history = await saga(orderId).history();
		expect(history.find((h) => h.name === "wait-expired")?.detail).toMatchObject({ step: "authorize-payment" });
		const undo = (await sent(orderId)).filter((s) => /release|void|cancel/.test(s));
		expect(undo.sort()).toEqual(["billing.void-payment", "inventory.release-line", "shipping.cancel-pickup"]);
		await undoAll(orderId);
		const cancelled = await view(orderId);
		expect(cancelled).toMatchObject({ status: "cancelled", failureReason: "timeout" });
		await deliver([reviewed(orderId, "approve")]);
		expect(await view(orderId)).toEqual(cancelled);
		expect((await saga(orderId).history()).at(-1)).toMatchObject({ kind: "ignored", name: "billing.payment-reviewed" });
	});

	it("keeps a decision that arrives before billing's 'held' reply, and applies it when the wait begins", async () => {
		const orderId = await place(draft({ paymentToken: "tok_review" }));
		await deliver([reviewed(orderId, "approve")]);
		expect(await view(orderId)).toMatchObject({ status: "pending", waitingFor: null });
		const kept = (await saga(orderId).history()).at(-1);
		expect(kept).toMatchObject({ kind: "event", name: "billing.payment-reviewed", detail: { kept: true } });
		await deliver([held(orderId)]);
		expect(await view(orderId)).toMatchObject({
			waitingFor: null,
			saga: { steps: ["reserve-stock[MUG]", "schedule-pickup"] },
		});
		await deliver([reserved(orderId), scheduled(orderId)]);
		expect(await view(orderId)).toMatchObject({ status: "confirmed" });
	});

	it("can be cancelled while it waits: the held payment is voided with the others", async () => {
		const { orderId } = await heldForReview();
		expect((await call("POST", `/orders/${orderId}/cancel`)).status).toBe(202);
		await undoAll(orderId);
		expect(await view(orderId)).toMatchObject({
			status: "cancelled",
			failureReason: "customer_cancelled",
			waitingFor: null,
		});
	});
});
