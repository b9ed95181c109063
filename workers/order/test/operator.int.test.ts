import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, TRACEPARENT, testOrderId } from "../../../shared/testing/messages";
import worker from "../src/index";
import {
	AFTER_PIVOT_STEPS,
	deliver,
	draft,
	FORWARD_STEPS,
	place,
	replyTo,
	reserved,
	saga,
	scheduled,
	sent,
	throughPivot,
	toCompletion,
	undoAll,
	view,
} from "./support";

/** An admin call as the gateway forwards it: the verified admin named in `x-actor`. */
async function admin(method: string, path: string, actor = "ops-ada") {
	const res = await worker.fetch(
		new Request(`https://order${path}`, { method, headers: { traceparent: TRACEPARENT, "x-actor": actor } }),
		env,
		createExecutionContext(),
	);
	return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const history = (orderId: string) => saga(orderId).history();
type Node = { name: string; group: string; status: string; attempt: number; after: string[]; compensation?: string };

describe("GET /admin/orders/{id}/saga: the saga as a graph", () => {
	it("has a node per concrete step of placement v3, each with its state, edges, waits and compensation", async () => {
		const orderId = await place(draft({ paymentToken: "tok_review" }));
		await deliver([reserved(orderId)]);
		await deliver([replyTo(orderId, "authorize-payment", "billing.payment-held", { reason: "review" })]);
		const res = await admin("GET", `/admin/orders/${orderId}/saga`);
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ id: orderId, name: "order-placement", version: 3, phase: "running" });
		const nodes = res.json.nodes as Node[];
		expect(nodes.map((n) => n.name)).toEqual([...FORWARD_STEPS, ...AFTER_PIVOT_STEPS]);
		expect(nodes.map((n) => n.status)).toEqual(["succeeded", "waiting", "sent", "not-sent", "not-sent", "not-sent"]);
		expect(nodes[1]).toMatchObject({
			group: "compensable",
			compensation: "billing.void-payment",
			waitsFor: "billing.payment-reviewed",
			wait: { event: "billing.payment-reviewed", key: orderId },
		});
		expect(nodes[0]?.compensation).toBe("inventory.release-line");
		expect(nodes[3]).toMatchObject({ group: "retriable", attempt: 0 });
		expect(nodes[3]?.compensation).toBeUndefined();
	});

	it("is a 404 problem for an order that does not exist, and 422 for a malformed id", async () => {
		expect(await admin("GET", `/admin/orders/${testOrderId(99)}/saga`)).toMatchObject({
			status: 404,
			json: { code: "order_not_found" },
		});
		expect((await admin("GET", "/admin/orders/nope/saga")).status).toBe(422);
	});
});

describe("POST /admin/orders/{id}/saga/retry: retry now", () => {
	it("re-sends every step in flight at once, on the same attempt, and records who asked", async () => {
		const orderId = await place();
		await deliver([reserved(orderId)]);
		const before = await sent(orderId);
		const res = await admin("POST", `/admin/orders/${orderId}/saga/retry`);
		expect(res.status).toBe(202);
		expect(res.json).toMatchObject({ id: orderId, saga: { phase: "running", attempt: 1 } });
		expect((await sent(orderId)).slice(before.length).sort()).toEqual([
			"billing.authorize-payment",
			"shipping.schedule-pickup",
		]);
		const entries = await history(orderId);
		const operator = entries.findIndex((h) => h.kind === "operator");
		expect(entries[operator]).toMatchObject({ name: "retry-now", detail: { by: "ops-ada" } });
		const retries = entries.slice(operator + 1).filter((h) => h.kind === "retry");
		expect(retries.map((h) => h.detail)).toEqual([
			{ step: "authorize-payment", attempt: 1, now: true },
			{ step: "schedule-pickup", attempt: 1, now: true },
		]);
		// One decision: the operator's entry and what it sent were committed together.
		expect(new Set([entries[operator]?.decision, ...retries.map((h) => h.decision)]).size).toBe(1);
		// The replies to the re-sent commands (same ids) move the saga on as before.
		await deliver([replyTo(orderId, "authorize-payment", "billing.payment-authorized", { amount: 2500 })]);
		await deliver([scheduled(orderId)]);
		expect((await view(orderId)).status).toBe("confirmed");
	});

	it("is a 409 problem when nothing is in flight (a finished saga), a 404 for no order; neither changes the history", async () => {
		const orderId = await place();
		await toCompletion(orderId);
		const before = await history(orderId);
		expect(await admin("POST", `/admin/orders/${orderId}/saga/retry`)).toMatchObject({
			status: 409,
			json: { code: "saga_nothing_in_flight", phase: "completed" },
		});
		expect(await history(orderId)).toEqual(before);
		expect(await admin("POST", `/admin/orders/${testOrderId(98)}/saga/retry`)).toMatchObject({
			status: 404,
			json: { code: "order_not_found" },
		});
	});
});

describe("POST /admin/orders/{id}/saga/compensate: an operator compensates", () => {
	it("stops a saga before its pivot and undoes every step sent: cancelled with operator_cancelled, recorded with who", async () => {
		const orderId = await place();
		await deliver([reserved(orderId)]);
		const res = await admin("POST", `/admin/orders/${orderId}/saga/compensate`, "ops-bob");
		expect(res.status).toBe(202);
		expect(res.json).toMatchObject({ status: "pending", saga: { phase: "compensating" } });
		const entries = await history(orderId);
		expect(entries.find((h) => h.kind === "operator")).toMatchObject({ name: "compensate", detail: { by: "ops-bob" } });
		expect(entries.find((h) => h.name === "compensating")?.detail).toEqual({ reason: "operator_cancelled" });
		await undoAll(orderId);
		expect(await view(orderId)).toMatchObject({ status: "cancelled", failureReason: "operator_cancelled" });
		// Done again: the saga is no longer running.
		expect(await admin("POST", `/admin/orders/${orderId}/saga/compensate`)).toMatchObject({
			status: 409,
			json: { code: "saga_not_running", phase: "compensated" },
		});
	});

	it("refuses a saga past its pivot with saga_past_pivot, changing nothing", async () => {
		const orderId = await place();
		await throughPivot(orderId);
		const before = await history(orderId);
		expect(await admin("POST", `/admin/orders/${orderId}/saga/compensate`)).toMatchObject({
			status: 409,
			json: { code: "saga_past_pivot", phase: "running" },
		});
		expect(await history(orderId)).toEqual(before);
		expect((await view(orderId)).status).toBe("confirmed");
	});
});

describe("a payment review's decision in the order's history", () => {
	const reviewed = (orderId: string, by: string) =>
		message(
			"billing.payment-reviewed",
			{ orderId, decision: "approve", authorizationId: "auth_1", by },
			{ id: `${orderId}.payment-reviewed`, source: "billing" },
		);
	const held = (orderId: string) => replyTo(orderId, "authorize-payment", "billing.payment-held", { reason: "review" });

	it("names who decided, whether the decision comes while the saga waits or before the wait began", async () => {
		const waiting = await place(draft({ paymentToken: "tok_review" }));
		await deliver([held(waiting)]);
		await deliver([reviewed(waiting, "ops-ada")]);
		expect((await history(waiting)).find((h) => h.name === "billing.payment-reviewed")).toMatchObject({
			kind: "event",
			detail: { step: "authorize-payment", by: "ops-ada" },
		});

		const early = await place(draft({ paymentToken: "tok_review" }));
		await deliver([reviewed(early, "ops-bob")]);
		await deliver([held(early)]);
		const applied = (await history(early)).filter((h) => h.name === "billing.payment-reviewed");
		expect(applied.map((h) => h.detail)).toEqual([
			{ step: "authorize-payment", kept: true, by: "ops-bob" },
			{ step: "authorize-payment", early: true, by: "ops-bob" },
		]);
	});
});
