import { createExecutionContext, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { message, testOrderId } from "../../../shared/testing/messages";
import { TappedQueue } from "../../../shared/testing/queues";
import { deliver as deliverBatch, outboxRows, recordedReplies } from "../../../shared/testing/workerd";
import worker, { Commands } from "../src/index";

const skuStock = (sku: string) => env.SKU_STOCK.get(env.SKU_STOCK.idFromName(sku));

const deadLetters = new TappedQueue(env.DEAD_LETTERS);
const deliver = (bodies: unknown[]) =>
	deliverBatch(worker, { ...env, DEAD_LETTERS: deadLetters }, "inventory-commands", bodies);
/** The Commands entrypoint as a saga's outbox calls it over its service binding. */
const rpc = (body: unknown) =>
	new Commands(createExecutionContext(), { ...env, DEAD_LETTERS: deadLetters }).execute(body as never);

const stock = (sku: string) => skuStock(sku).getStock();

const http = (method: string, path: string, body?: unknown) =>
	worker.fetch(
		new Request(`https://inventory${path}`, {
			method,
			headers: { "content-type": "application/json" },
			body: body === undefined ? undefined : JSON.stringify(body),
		}),
		env,
		createExecutionContext(),
	);
const put = (sku: string, onHand: number, unitPrice = 200) => http("PUT", `/inventory/${sku}`, { onHand, unitPrice });

const line = (n: number, sku: string, quantity: number) =>
	message("inventory.reserve-line", { orderId: testOrderId(n), sku, quantity });
const wholeOrder = (n: number, lines: { sku: string; quantity: number }[]) =>
	message("inventory.reserve-stock", { orderId: testOrderId(n), lines });

describe("Stock per SKU, one object each", () => {
	// Storage lives as long as the file's runtime, so every test works on SKUs of its own.
	let A = "";
	let B = "";
	let run = 0;
	beforeEach(async () => {
		run++;
		A = `A-${run}`;
		B = `B-${run}`;
		expect((await put(A, 10, 500)).status).toBe(200);
		expect((await put(B, 3, 200)).status).toBe(200);
	});

	it("reserves each line in its SKU's own object and refuses a short line naming its SKU", async () => {
		const ok = line(1, A, 4);
		const short = line(1, B, 4);
		await deliver([ok, short]);
		expect(await stock(A)).toMatchObject({ onHand: 10, reserved: 4, available: 6 });
		expect(await stock(B)).toMatchObject({ reserved: 0, available: 3 });
		expect((await recordedReplies(skuStock(B), short.id))?.[0]).toMatchObject({
			type: "inventory.stock-rejected",
			causationId: short.id,
			payload: { reason: "out_of_stock", skus: [B] },
		});
		const unknown = line(1, `NOPE-${run}`, 1);
		expect((await rpc(unknown)).replies).toMatchObject([
			{ payload: { reason: "out_of_stock", skus: [`NOPE-${run}`] } },
		]);
	});

	it("applies a line delivered twice, in one batch and again later, once; a second command for the same order and SKU never reserves again", async () => {
		const cmd = line(3, A, 2);
		await deliver([cmd, cmd]);
		await deliver([cmd]);
		const again = line(3, A, 2);
		expect((await rpc(again)).replies).toMatchObject([{ type: "inventory.stock-reserved" }]);
		expect(await stock(A)).toMatchObject({ reserved: 2 });
		const replies = await recordedReplies(skuStock(A), cmd.id);
		expect(replies).toHaveLength(1);
		expect(replies?.[0]?.type).toBe("inventory.stock-reserved");
		expect(await outboxRows(skuStock(A))).toBe(0);
	});

	it("never reserves for an order released before its reservation arrived (out of order)", async () => {
		await deliver([message("inventory.release-line", { orderId: testOrderId(4), sku: A })]);
		const late = line(4, A, 1);
		await deliver([late]);
		expect(await stock(A)).toMatchObject({ reserved: 0 });
		expect((await recordedReplies(skuStock(A), late.id))?.[0]).toMatchObject({
			type: "inventory.stock-rejected",
			payload: { reason: "released" },
		});
	});

	it("commits a reserved line once and releases nothing after that", async () => {
		await deliver([line(5, A, 3)]);
		await deliver([message("inventory.commit-line", { orderId: testOrderId(5), sku: A })]);
		await deliver([message("inventory.commit-line", { orderId: testOrderId(5), sku: A })]);
		expect(await stock(A)).toMatchObject({ onHand: 7, reserved: 0, committed: 3 });
		const release = message("inventory.release-line", { orderId: testOrderId(5), sku: A });
		const result = await deliver([release]);
		expect(result.retryMessages).toEqual([]);
		expect(await stock(A)).toMatchObject({ onHand: 7, reserved: 0, committed: 3 });
		expect(await skuStock(A).ledger()).toMatchObject({ received: 10, on_hand: 7, committed: 3 });
		expect(deadLetters.sent.at(-1)).toMatchObject({
			reason: expect.stringContaining("committed stock cannot be released"),
			body: { id: release.id },
		});
	});

	it("carries a whole-order reservation (placement v1/v2) out line by line, all or nothing, the same answer every time", async () => {
		const ok = wholeOrder(6, [
			{ sku: A, quantity: 4 },
			{ sku: B, quantity: 3 },
		]);
		const short = wholeOrder(7, [
			{ sku: A, quantity: 1 },
			{ sku: B, quantity: 1 },
		]);
		expect((await rpc(ok)).replies).toMatchObject([{ type: "inventory.stock-reserved", causationId: ok.id }]);
		const refused = await rpc(short);
		expect(refused.replies).toMatchObject([
			{ type: "inventory.stock-rejected", causationId: short.id, payload: { reason: "out_of_stock", skus: [B] } },
		]);
		// A's line was reserved, then released with the refusal: nothing of order 7 is held.
		expect(await stock(A)).toMatchObject({ reserved: 4 });
		expect(await stock(B)).toMatchObject({ reserved: 3 });
		// Built again from the lines' recorded answers: the same reply (id, type, payload) every time.
		const same = (r: typeof refused) => r.replies.map(({ id, type, payload }) => ({ id, type, payload }));
		expect(same(await rpc(short))).toEqual(same(refused));
		expect((await rpc(ok)).outcome).toBe("handled");
		expect(await stock(A)).toMatchObject({ reserved: 4 });

		const commit = message("inventory.commit-stock", {
			orderId: testOrderId(6),
			lines: [
				{ sku: A, quantity: 4 },
				{ sku: B, quantity: 3 },
			],
		});
		expect((await rpc(commit)).replies).toMatchObject([{ type: "inventory.stock-committed" }]);
		await deliver([commit]);
		expect(await stock(A)).toMatchObject({ onHand: 6, reserved: 0, committed: 4 });
		expect(await stock(B)).toMatchObject({ onHand: 0, reserved: 0, committed: 3 });
	});

	it("releases a whole order line by line, and a release without lines (stock is per SKU) can never apply", async () => {
		await rpc(wholeOrder(8, [{ sku: A, quantity: 2 }]));
		const bare = message("inventory.release-stock", { orderId: testOrderId(8) });
		expect(await rpc(bare)).toMatchObject({ outcome: "poison", reason: expect.stringContaining("without lines") });
		expect(await stock(A)).toMatchObject({ reserved: 2 });
		const release = message("inventory.release-stock", { orderId: testOrderId(8), lines: [{ sku: A, quantity: 2 }] });
		expect((await rpc(release)).replies).toMatchObject([{ type: "inventory.stock-released" }]);
		expect((await rpc(release)).replies).toMatchObject([{ type: "inventory.stock-released" }]);
		expect(await stock(A)).toMatchObject({ reserved: 0 });
	});

	it("dead-letters what can never apply and acks the rest of the batch without retrying it", async () => {
		const good = line(9, A, 1);
		const unapplicable = [
			{ not: "an envelope" },
			message("billing.capture-payment", { orderId: testOrderId(9) }),
			message("inventory.reserve-stock", { orderId: testOrderId(9), lines: [] }),
			message("inventory.commit-line", { orderId: testOrderId(99), sku: A }),
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

	it("refuses, per SKU, to set on-hand below what is reserved (409), changing nothing", async () => {
		await deliver([line(10, B, 2), line(10, A, 5)]);
		const refused = await put(B, 1, 999);
		expect(refused.status).toBe(409);
		expect(refused.headers.get("content-type")).toBe("application/problem+json");
		expect(await refused.json()).toMatchObject({ code: "stock_below_reserved" });
		expect(await stock(B)).toMatchObject({ onHand: 3, reserved: 2, unitPrice: 200 });
		expect((await put(A, 4)).status).toBe(409);
		expect(await stock(A)).toMatchObject({ onHand: 10, reserved: 5, unitPrice: 500 });
		expect((await put(B, 5)).status).toBe(200);
		expect(await stock(B)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
		expect(await skuStock(B).ledger()).toMatchObject({ received: 5 });
	});

	it("reads the SKUs asked for, and the admin views visit every SKU in the catalogue", async () => {
		const res = await http("GET", `/inventory?sku=${A}&sku=${B}&sku=NOPE-${run}&sku=${A}`);
		expect(((await res.json()) as { items: { sku: string }[] }).items.map((i) => i.sku)).toEqual([A, B]);
		expect((await http("GET", `/inventory/NOPE-${run}`)).status).toBe(404);
		await deliver([line(11, A, 2), line(11, B, 1)]);

		const ledger = (await (await http("GET", "/admin/ledger")).json()) as { items: { sku: string }[] };
		expect(ledger.items.filter((l) => l.sku === A || l.sku === B)).toEqual([
			{ sku: A, received: 10, on_hand: 10, reserved: 2, committed: 0, returned: 0 },
			{ sku: B, received: 3, on_hand: 3, reserved: 1, committed: 0, returned: 0 },
		]);
		const reservations = (await (await http("GET", "/admin/reservations")).json()) as {
			items: { orderId: string }[];
		};
		expect(reservations.items.filter((r) => r.orderId === testOrderId(11))).toEqual([
			{ orderId: testOrderId(11), sku: A, state: "reserved", quantity: 2 },
			{ orderId: testOrderId(11), sku: B, state: "reserved", quantity: 1 },
		]);
		const pending = (await (await http("GET", "/admin/pending")).json()) as Record<string, { outbox: number }>;
		expect(pending[`sku:${A}`]).toMatchObject({ outbox: 0 });
		expect(pending[`sku:${B}`]).toMatchObject({ outbox: 0 });
	});
});
