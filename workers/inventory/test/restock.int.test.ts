import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue } from "../../../shared/testing/queues";
import { deliver as deliverBatch, recordedReplies } from "../../../shared/testing/workerd";
import worker from "../src/index";

const deadLetters = new TappedQueue(env.DEAD_LETTERS);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, DEAD_LETTERS: deadLetters }, "inventory-commands", bodies);
const stock = (sku: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku));
const returnId = (n: number) => `ret_${n.toString(16).padStart(24, "0")}`;
const restock = (orderId: string, ret: string, sku: string, quantity: number) =>
	message("inventory.restock-line", { orderId, returnId: ret, sku, quantity }, { correlationId: ret });

const put = (sku: string, onHand: number) =>
	worker.fetch(
		new Request(`https://inventory/inventory/${sku}`, {
			method: "PUT",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ onHand, unitPrice: 100 }),
		}),
		env,
	);

describe("Returned units back on the shelf", () => {
	it("puts a return's units back once per return and SKU, keeping received + returned = on hand + committed", async () => {
		const orderId = testOrderId(1);
		await put("CAP", 10);
		await deliver([message("inventory.reserve-line", { orderId, sku: "CAP", quantity: 3 })]);
		await deliver([message("inventory.commit-line", { orderId, sku: "CAP" })]);
		const first = restock(orderId, returnId(1), "CAP", 2);
		await deliver([first, first]);
		// The same return's units under another command id (an operator's replay) never go back twice.
		await deliver([restock(orderId, returnId(1), "CAP", 2)]);
		await deliver([restock(orderId, returnId(2), "CAP", 1)]);
		const ledger = await stock("CAP").ledger();
		expect(ledger).toEqual({ sku: "CAP", received: 10, returned: 3, on_hand: 10, reserved: 0, committed: 3 });
		expect((ledger?.received ?? 0) + (ledger?.returned ?? 0)).toBe((ledger?.on_hand ?? 0) + (ledger?.committed ?? 0));
		expect(await stock("CAP").restocks()).toEqual([
			{ returnId: returnId(1), orderId, sku: "CAP", quantity: 2 },
			{ returnId: returnId(2), orderId, sku: "CAP", quantity: 1 },
		]);
		expect((await recordedReplies(stock("CAP"), first.id))?.[0]).toMatchObject({
			type: "inventory.stock-restocked",
			correlationId: returnId(1),
		});
		const listed = await worker.fetch(new Request("https://inventory/admin/restocks"), env);
		expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(2);
	});

	it("dead-letters a restock of a SKU it keeps no stock of, changing nothing", async () => {
		const before = deadLetters.sent.length;
		await deliver([restock(testOrderId(2), returnId(3), "NOPE", 1)]);
		expect(deadLetters.sent.length).toBe(before + 1);
		expect(await stock("NOPE").ledger()).toBeNull();
	});
});
