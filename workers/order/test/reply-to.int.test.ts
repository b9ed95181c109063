import { describe, expect, it } from "vitest";
import { testOrderId } from "../../../shared/testing/messages";
import { tapService } from "../../../shared/testing/queues";
import { deliver, place, replyTo, reserved, saga, skipOrderTime, view } from "./support";

const PLACEMENT = "order-placement";
const addressed = (orderId: string, to: { kind: string; id: string }, correlationId = orderId) => ({
	...reserved(orderId),
	correlationId,
	replyTo: to,
});

describe("Replies addressed to their saga", () => {
	it("every command the saga sends names it (kind and id), re-sends included, and its command ids derive from that id", async () => {
		const orderId = await place();
		const inventory = await tapService(saga(orderId), "INVENTORY");
		// The step's deadline passes: the command goes again, with the same id and the same address.
		expect(await skipOrderTime(orderId, 60_000)).toBe(true);
		expect(inventory.called.map((c) => ({ id: c.id, replyTo: c.replyTo }))).toEqual([
			{ id: `${orderId}.reserve-stock[MUG]`, replyTo: { kind: PLACEMENT, id: orderId } },
		]);
	});

	it("routes a reply by its replyTo, not by the order it names: the saga it answers applies it, the other order has none", async () => {
		const orderId = await place();
		const elsewhere = testOrderId(900);
		const reply = addressed(orderId, { kind: PLACEMENT, id: orderId }, elsewhere);
		expect(await deliver([reply])).toMatchObject({ retryMessages: [] });
		expect((await view(orderId)).saga.steps).not.toContain("reserve-stock[MUG]");
		expect((await saga(orderId).history()).find((h) => h.messageId === reply.id)).toMatchObject({ kind: "reply" });
		expect(await saga(elsewhere).view()).toBeNull();
	});

	it("dead-letters a reply to a kind of saga nobody here runs, and changes nothing", async () => {
		const orderId = await place();
		const before = await saga(orderId).history();
		const result = await deliver([addressed(orderId, { kind: "order-return", id: orderId })]);
		expect(result.retryMessages).toEqual([]);
		expect(result.explicitAcks).toHaveLength(1);
		expect(await saga(orderId).history()).toEqual(before);
	});

	it("ignores a reply handed to it that names another saga", async () => {
		const orderId = await place();
		const stray = addressed(orderId, { kind: PLACEMENT, id: testOrderId(901) });
		expect(await saga(orderId).handle(stray)).toMatchObject({ outcome: "ignored" });
		expect((await view(orderId)).saga.steps).toContain("reserve-stock[MUG]");
		expect((await saga(orderId).history()).at(-1)).toMatchObject({
			kind: "ignored",
			messageId: stray.id,
			detail: { why: "addressed to another saga" },
		});
	});

	it("ignores a reply a context answers by RPC that names another saga, and applies the one naming it", async () => {
		const orderId = await place();
		const inventory = await tapService(saga(orderId), "INVENTORY", {
			answer: (command) => [
				{ ...reserved(orderId), id: `${command.id}>stray`, replyTo: { kind: PLACEMENT, id: testOrderId(902) } },
				{ ...reserved(orderId), replyTo: command.replyTo },
			],
		});
		expect(await skipOrderTime(orderId, 60_000)).toBe(true);
		expect(inventory.called).toHaveLength(1);
		const history = await saga(orderId).history();
		expect(history.find((h) => h.messageId === `${orderId}.reserve-stock[MUG]>stray`)).toMatchObject({
			kind: "ignored",
			detail: { why: "addressed to another saga" },
		});
		expect((await view(orderId)).saga.steps).not.toContain("reserve-stock[MUG]");
	});

	it("still routes a reply without replyTo (sent before commands named their saga) by its order", async () => {
		const orderId = await place();
		const old = replyTo(orderId, "reserve-stock[MUG]", "inventory.stock-reserved");
		expect(old).not.toHaveProperty("replyTo");
		await deliver([old]);
		expect((await view(orderId)).saga.steps).not.toContain("reserve-stock[MUG]");
	});
});
