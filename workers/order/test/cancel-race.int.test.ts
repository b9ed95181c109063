import { describe, expect, it } from "vitest";
import { TRACEPARENT } from "../../../shared/testing/messages";
import {
	AFTER_PIVOT,
	authorized,
	call,
	deliver,
	FORWARD,
	place,
	reserved,
	saga,
	scheduled,
	sent,
	UNDO,
	undoAll,
	view,
} from "./support";

/** An order whose last compensable step (the pickup) is in flight. */
async function atLastCompensableStep() {
	const orderId = await place();
	await deliver([reserved(orderId)]);
	await deliver([authorized(orderId)]);
	return orderId;
}

/** Checks the order ended one way only, and that its history and commands tell the same story. */
async function expectOneOutcome(orderId: string, cancelAccepted: boolean) {
	const transitions = (await saga(orderId).history()).filter((h) => h.kind === "transition").map((h) => h.name);
	if (!cancelAccepted) {
		expect(await view(orderId)).toMatchObject({ status: "confirmed" });
		expect(transitions).toContain("pivot");
		expect(transitions).not.toContain("compensating");
		expect(await sent(orderId)).toEqual([...FORWARD, ...AFTER_PIVOT]);
		return "confirmed";
	}
	expect(transitions).not.toContain("pivot");
	// The pickup was scheduled, or may be: it is undone with the others, all at once (none depends on another).
	const undo = (await sent(orderId)).slice(FORWARD.length);
	expect([...undo].sort()).toEqual([...UNDO].sort());
	await undoAll(orderId);
	expect(await sent(orderId)).toEqual([...FORWARD, ...undo]);
	expect(await view(orderId)).toMatchObject({ status: "cancelled", failureReason: "customer_cancelled" });
	expect(transitions).not.toContain("status:confirmed");
	return "cancelled";
}

describe("A cancel racing the pivot", () => {
	it("lets exactly one of the pickup reply and the cancel win, with a history and compensations to match", async () => {
		const orders = await Promise.all([1, 2, 3, 4, 5, 6].map(() => atLastCompensableStep()));
		const outcomes = await Promise.all(
			orders.map(async (orderId, i) => {
				// Both reach the order's object together, one or the other first.
				const reply = () => saga(orderId).handle(scheduled(orderId));
				const cancel = () => saga(orderId).cancel(TRACEPARENT);
				const cancelled =
					i % 2 === 0 ? (await Promise.all([reply(), cancel()]))[1] : (await Promise.all([cancel(), reply()]))[0];
				return expectOneOutcome(orderId, cancelled.result === "accepted");
			}),
		);
		// Whichever arrives first wins: both outcomes occur.
		expect(new Set(outcomes)).toEqual(new Set(["confirmed", "cancelled"]));
	});

	it("undoes the pickup too when its reply lands just after the cancel", async () => {
		const orderId = await atLastCompensableStep();
		expect((await call("POST", `/orders/${orderId}/cancel`)).status).toBe(202);
		await deliver([scheduled(orderId)]);
		const late = (await saga(orderId).history()).at(-1);
		expect(late).toMatchObject({ kind: "ignored", name: "shipping.pickup-scheduled" });
		expect(await expectOneOutcome(orderId, true)).toBe("cancelled");
	});

	it("refuses the cancel when the pickup reply lands just before it", async () => {
		const orderId = await atLastCompensableStep();
		await deliver([scheduled(orderId)]);
		const refused = await call("POST", `/orders/${orderId}/cancel`);
		expect(refused.status).toBe(409);
		expect(await expectOneOutcome(orderId, false)).toBe("confirmed");
	});
});
