import { createExecutionContext, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue } from "../../../shared/testing/queues";
import { deliver as deliverBatch, outboxRows, recordedReplies } from "../../../shared/testing/workerd";
import worker from "../src/index";

const stockroom = () => env.STOCKROOM.get(env.STOCKROOM.idFromName("main"));

const deadLetters = new TappedQueue(env.DEAD_LETTERS);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, DEAD_LETTERS: deadLetters }, "inventory-commands", bodies);

async function stock(sku: string) {
	const [level] = await stockroom().getStock([sku]);
	return level;
}

const reserve = (n: number, lines: { sku: string; quantity: number }[]) =>
	message("inventory.reserve-stock", { orderId: testOrderId(n), lines });

describe("Stockroom, through real queue batches", () => {
	// Storage lives as long as the file's runtime, so every test works on SKUs of its own.
	let A = "";
	let B = "";
	let run = 0;
	beforeEach(async () => {
		run++;
		A = `A-${run}`;
		B = `B-${run}`;
		await stockroom().setStock(A, 10, 500);
		await stockroom().setStock(B, 3, 200);
	});

	it("reserves every line of an order or none", async () => {
		const ok = reserve(1, [
			{ sku: A, quantity: 4 },
			{ sku: B, quantity: 3 },
		]);
		const short = reserve(2, [
			{ sku: A, quantity: 1 },
			{ sku: B, quantity: 1 },
		]);
		const result = await deliver([ok, short]);
		expect(result.explicitAcks).toHaveLength(2);
		expect(await stock(A)).toMatchObject({ onHand: 10, reserved: 4, available: 6 });
		expect(await stock(B)).toMatchObject({ reserved: 3, available: 0 });
		expect((await recordedReplies(stockroom(), short.id))?.[0]).toMatchObject({
			type: "inventory.stock-rejected",
			causationId: short.id,
			payload: { reason: "out_of_stock", skus: [B] },
		});
	});

	it("applies a message delivered twice, in one batch and again later, once, and answers the repeat with the same reply", async () => {
		const cmd = reserve(3, [{ sku: A, quantity: 2 }]);
		await deliver([cmd, cmd]);
		await deliver([cmd]);
		expect(await stock(A)).toMatchObject({ reserved: 2 });
		const replies = await recordedReplies(stockroom(), cmd.id);
		expect(replies).toHaveLength(1);
		expect(replies?.[0]?.type).toBe("inventory.stock-reserved");
		expect(await outboxRows(stockroom())).toBe(0);
	});

	it("never reserves for an order released before its reservation arrived (out of order)", async () => {
		await deliver([message("inventory.release-stock", { orderId: testOrderId(4) })]);
		const late = reserve(4, [{ sku: A, quantity: 1 }]);
		await deliver([late]);
		expect(await stock(A)).toMatchObject({ reserved: 0 });
		expect((await recordedReplies(stockroom(), late.id))?.[0]?.type).toBe("inventory.stock-rejected");
	});

	it("commits reserved stock once and releases nothing after that", async () => {
		await deliver([reserve(5, [{ sku: A, quantity: 3 }])]);
		await deliver([message("inventory.commit-stock", { orderId: testOrderId(5) })]);
		await deliver([message("inventory.commit-stock", { orderId: testOrderId(5) })]);
		expect(await stock(A)).toMatchObject({ onHand: 7, reserved: 0, committed: 3 });
		const release = message("inventory.release-stock", { orderId: testOrderId(5) });
		const result = await deliver([release]);
		expect(result.retryMessages).toEqual([]);
		expect(await stock(A)).toMatchObject({ onHand: 7, reserved: 0, committed: 3 });
		const ledger = (await stockroom().ledger()).find((l) => l.sku === A);
		expect(ledger).toMatchObject({ received: 10, on_hand: 7, committed: 3 });
		expect(deadLetters.sent.at(-1)).toMatchObject({
			reason: expect.stringContaining("committed stock cannot be released"),
			body: { id: release.id },
		});
	});

	it("dead-letters what can never apply and acks the rest of the batch without retrying it", async () => {
		const good = reserve(6, [{ sku: A, quantity: 1 }]);
		const unapplicable = [
			{ not: "an envelope" },
			message("billing.capture-payment", { orderId: testOrderId(6) }),
			message("inventory.reserve-stock", { orderId: testOrderId(6), lines: [] }),
			message("inventory.commit-stock", { orderId: testOrderId(99) }),
		];
		const lettersBefore = deadLetters.sent.length;
		const result = await deliver([...unapplicable, good]);
		expect(result.retryMessages).toEqual([]);
		expect(result.explicitAcks).toHaveLength(5);
		expect(await stock(A)).toMatchObject({ reserved: 1 });
		// The batch is handled concurrently, so the letters may leave in any order.
		const letters = deadLetters.sent.slice(lettersBefore) as { reason: string; body: unknown }[];
		expect(letters.map((l) => l.body)).toEqual(expect.arrayContaining(unapplicable));
		expect(letters).toHaveLength(unapplicable.length);
		expect(letters.map((l) => l.reason)).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/^envelope: /),
				"inventory does not handle billing.capture-payment",
				expect.stringMatching(/^payload: lines/),
				expect.stringContaining("no reservation to commit"),
			]),
		);
	});

	it("serves stock over HTTP and refuses to set on-hand below what is reserved", async () => {
		await deliver([reserve(7, [{ sku: B, quantity: 2 }])]);
		const put = (onHand: number) =>
			worker.fetch(
				new Request(`https://inventory/inventory/${B}`, {
					method: "PUT",
					headers: { "content-type": "application/json" },
					body: JSON.stringify({ onHand, unitPrice: 200 }),
				}),
				env,
				createExecutionContext(),
			);
		const refused = await put(1);
		expect(refused.status).toBe(409);
		expect(refused.headers.get("content-type")).toBe("application/problem+json");
		expect(await refused.json()).toMatchObject({ code: "stock_below_reserved" });
		expect((await put(5)).status).toBe(200);
		expect(await stock(B)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
	});
});
