import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Envelope } from "../../../shared/envelope";
import { tapQueue, tapService } from "../../../shared/testing/queues";
import { timers } from "../../../shared/testing/time";
import { outboxMessages, outboxRows, relayDone } from "../../../shared/testing/workerd";
import { shardFor } from "../../../shared/topology";
import {
	authorized,
	call,
	deliver,
	draft,
	place,
	replyTo,
	reserved,
	saga,
	scheduled,
	skipOrderTime,
	toCompletion,
	view,
} from "./support";

/** Billing as the test speaks for it: the authorization it recorded, the same reply however often it is asked. */
const recordedAuthorization = (command: Envelope) =>
	command.type === "billing.authorize-payment"
		? [{ ...authorized(command.correlationId), replyTo: command.replyTo }]
		: [];

const replies = async (orderId: string, type: string) =>
	(await saga(orderId).history()).filter((h) => h.kind === "reply" && h.name === type);

/** A context as the test speaks for it: `reply` answers commands of `type`, any other gets no answer. */
const answering = (type: string, reply: (orderId: string) => Envelope) => (command: Envelope) =>
	command.type === type ? [{ ...reply(command.correlationId), replyTo: command.replyTo }] : [];

/** Inventory answers the stock step with `stock`, shipping schedules the pickup; both leave the rest unanswered. */
async function firstStepsAnswered(orderId: string, stock: (orderId: string) => Envelope) {
	await tapService(saga(orderId), "INVENTORY", { answer: answering("inventory.reserve-line", stock) });
	await tapService(saga(orderId), "SHIPPING", { answer: answering("shipping.schedule-pickup", scheduled) });
}

/** A call held by the test is waited for a minute, longer than any test holds one. */
const callsWait = (orderId: string) =>
	runInDurableObject(saga(orderId), (instance: unknown) => {
		const object = instance as { env: Record<string, unknown> };
		object.env = { ...object.env, COMMAND_TIMEOUT_MS: "60000" };
	});

describe("Commands by RPC when a call fails", () => {
	it("a reply lost after the effect: the command goes again, and the reply the context recorded applies once", async () => {
		const d = draft();
		const billing = await tapService(saga(d.orderId), "BILLING", { answer: recordedAuthorization, lose: 1 });
		await place(d);
		// The authorization took effect in billing; its answer never came back, so the command stays.
		expect(billing.called.map((c) => c.type)).toEqual(["billing.authorize-payment"]);
		expect(await outboxMessages(saga(d.orderId))).toEqual([{ to: "rpc:BILLING", type: "billing.authorize-payment" }]);
		expect((await view(d.orderId)).saga.steps).toContain("authorize-payment");

		// The alarm sends it again; billing answers the repeat with what it recorded, and the order applies it.
		expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
		expect(billing.called.map((c) => c.id)).toEqual([
			`${d.orderId}.authorize-payment`,
			`${d.orderId}.authorize-payment`,
		]);
		expect(await outboxRows(saga(d.orderId))).toBe(0);
		expect((await view(d.orderId)).saga.steps).not.toContain("authorize-payment");
		expect(await replies(d.orderId, "billing.payment-authorized")).toHaveLength(1);

		// The same reply once more (a queue's redelivery of it) is dropped: the history does not grow.
		const applied = await saga(d.orderId).history();
		await deliver([authorized(d.orderId)]);
		expect(await saga(d.orderId).history()).toEqual(applied);
		await deliver([reserved(d.orderId)]);
		await deliver([scheduled(d.orderId)]);
		expect((await view(d.orderId)).status).toBe("confirmed");
	});

	it("a context that fails every call for a while: its orders wait, nothing times out, and they complete once it is back", async () => {
		const orders = [draft(), draft()];
		const taps = [];
		for (const d of orders) {
			taps.push(await tapService(saga(d.orderId), "BILLING", { down: true, answer: recordedAuthorization }));
			await place(d);
			// Stock and pickup answer; only billing, which never took the command, is waited for.
			await deliver([reserved(d.orderId)]);
			await deliver([scheduled(d.orderId)]);
		}
		// Long past every deadline of the step: the command never reached billing, so no attempt counts,
		// and each deadline is followed by the next (the saga keeps a deadline while it waits).
		for (const d of orders)
			for (let i = 0; i < 4; i++) {
				const before = (await timers(saga(d.orderId))).saga as number;
				expect(await skipOrderTime(d.orderId, before - Date.now())).toBe(true);
				expect((await timers(saga(d.orderId))).saga).toBeGreaterThan(Date.now());
			}
		for (const [i, d] of orders.entries()) {
			expect(taps[i]?.refused).toBeGreaterThan(3);
			const waiting = await view(d.orderId);
			expect(waiting.status).toBe("pending");
			expect(waiting.saga).toMatchObject({ phase: "running", steps: ["authorize-payment"], attempt: 1 });
			const retried = (await saga(d.orderId).history()).filter((h) => h.kind === "retry");
			expect(retried).toEqual([]);
		}

		for (const tap of taps) if (tap) tap.down = false;
		for (const d of orders) {
			expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
			expect(await replies(d.orderId, "billing.payment-authorized")).toHaveLength(1);
			expect((await view(d.orderId)).status).toBe("confirmed");
			await toCompletion(d.orderId);
			expect((await view(d.orderId)).saga).toMatchObject({ phase: "completed", steps: [] });
		}
	});

	it("answers the placement once its first steps have: a step after the pivot that hangs does not hold it", async () => {
		const d = draft();
		await callsWait(d.orderId);
		await firstStepsAnswered(d.orderId, reserved);
		// Billing answers the authorization, then hangs: the capture the pivot sends is taken and not answered.
		const billing = await tapService(saga(d.orderId), "BILLING", {
			answer: (command) => {
				if (command.type === "billing.authorize-payment") billing.hang = true;
				return recordedAuthorization(command);
			},
		});
		// The answer says what the first steps decided, and a repeat of the request replays it.
		const answer = await call("POST", "/orders", d);
		expect(answer.status).toBe(202);
		const body = await answer.json();
		expect(body).toMatchObject({ status: "confirmed", saga: { phase: "running" } });
		expect(body).toEqual(await view(d.orderId));
		const again = await call("POST", "/orders", d);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(await again.json()).toEqual(body);

		// Billing comes back (inside the object: the held call is its I/O); the relay still running
		// takes the answer, and nothing is left to send.
		await runInDurableObject(saga(d.orderId), () => billing.release());
		await relayDone(saga(d.orderId));
		expect(billing.called.map((c) => c.type)).toEqual(["billing.authorize-payment", "billing.capture-payment"]);
		expect(await outboxRows(saga(d.orderId))).toBe(0);
		// Once answered, the saga's later saves leave the answer as given: the steps after the pivot answer by queue.
		await toCompletion(d.orderId);
		expect((await view(d.orderId)).saga.phase).toBe("completed");
		expect(await (await call("POST", "/orders", d)).json()).toEqual(body);
	});

	it("a repeat of the placement that comes while its first steps are out waits, and replays the answer the placement gives", async () => {
		const d = draft();
		await callsWait(d.orderId);
		await firstStepsAnswered(d.orderId, reserved);
		const billing = await tapService(saga(d.orderId), "BILLING", { answer: recordedAuthorization, hang: true });
		// Calls on one stub reach the object in the order they were made: the repeat comes while the
		// placement waits on billing, and billing is let go after both.
		const stub = saga(d.orderId);
		const placed = stub.place(d);
		const repeated = stub.place(d);
		await runInDurableObject(stub, () => billing.release());
		const [first, again] = await Promise.all([placed, repeated]);
		expect(first).toMatchObject({ result: "created", order: { status: "confirmed" } });
		expect(again).toEqual({ result: "replayed", order: first.order });
	});

	it("a placement whose stock is refused answers pending, compensating, with the reason; a repeat replays it", async () => {
		const d = draft();
		const refused = (orderId: string) =>
			replyTo(orderId, "reserve-stock[MUG]", "inventory.stock-rejected", { reason: "out_of_stock", skus: ["MUG"] });
		await firstStepsAnswered(d.orderId, refused);
		await tapService(saga(d.orderId), "BILLING", { answer: recordedAuthorization });
		const answer = await call("POST", "/orders", d);
		const body = await answer.json();
		expect(body).toMatchObject({
			status: "pending",
			failureReason: "out_of_stock",
			failureDetail: { skus: ["MUG"] },
			saga: { phase: "compensating" },
		});
		expect(await (await call("POST", "/orders", d)).json()).toEqual(body);
	});

	it("a context that takes a call and never answers: the call fails after COMMAND_TIMEOUT_MS, the rest of the relay goes on, the alarm sends it again", async () => {
		const d = draft();
		await runInDurableObject(saga(d.orderId), (instance: unknown) => {
			const object = instance as { env: Record<string, unknown> };
			object.env = { ...object.env, COMMAND_TIMEOUT_MS: "50" };
		});
		const inventory = await tapService(saga(d.orderId), "INVENTORY", { hang: true });
		const readModel = await tapQueue(saga(d.orderId), shardFor("order-read-model", d.orderId).producer);
		await place(d);
		// The order's news left although inventory never answered; its command waits for a retry.
		expect(readModel.sent.map((m) => (m as Envelope).type)).toEqual(["order.placed"]);
		expect(await outboxMessages(saga(d.orderId))).toEqual([{ to: "rpc:INVENTORY", type: "inventory.reserve-line" }]);

		inventory.hang = false;
		expect(await runDurableObjectAlarm(saga(d.orderId))).toBe(true);
		expect(inventory.called.map((c) => c.id)).toEqual([
			`${d.orderId}.reserve-stock[MUG]`,
			`${d.orderId}.reserve-stock[MUG]`,
		]);
		expect(await outboxRows(saga(d.orderId))).toBe(0);
	});
});
