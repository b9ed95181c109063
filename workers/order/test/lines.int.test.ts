import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { tapService } from "../../../shared/testing/queues";
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
	sent,
	undoAll,
	view,
} from "./support";

const threeLines = () =>
	draft({
		items: [
			{ sku: "MUG", quantity: 2, unitPrice: 1000 },
			{ sku: "CUP", quantity: 1, unitPrice: 300 },
			{ sku: "HAT", quantity: 1, unitPrice: 200 },
		],
	});
const short = (orderId: string, sku: string) =>
	replyTo(orderId, `reserve-stock[${sku}]`, "inventory.stock-rejected", { reason: "out_of_stock", skus: [sku] });

describe("Placement v3: each line reserved in its SKU's own object", () => {
	it("reserves every line at once, each as its own step, and commits each after the pivot", async () => {
		const d = threeLines();
		const inventory = await tapService(saga(d.orderId), "INVENTORY");
		await place(d);
		expect(inventory.called.map((c) => [c.id, c.type, c.payload])).toEqual([
			[`${d.orderId}.reserve-stock[MUG]`, "inventory.reserve-line", { orderId: d.orderId, sku: "MUG", quantity: 2 }],
			[`${d.orderId}.reserve-stock[CUP]`, "inventory.reserve-line", { orderId: d.orderId, sku: "CUP", quantity: 1 }],
			[`${d.orderId}.reserve-stock[HAT]`, "inventory.reserve-line", { orderId: d.orderId, sku: "HAT", quantity: 1 }],
		]);
		await deliver([reserved(d.orderId, "MUG"), reserved(d.orderId, "CUP"), authorized(d.orderId)]);
		await deliver([scheduled(d.orderId)]);
		// One line still unanswered: no pivot, nothing committed.
		expect(await view(d.orderId)).toMatchObject({ status: "pending", saga: { steps: ["reserve-stock[HAT]"] } });
		await deliver([reserved(d.orderId, "HAT")]);
		expect(await view(d.orderId)).toMatchObject({ status: "confirmed", saga: { version: 3 } });
		const commits = inventory.called.filter((c) => c.type === "inventory.commit-line");
		expect(commits.map((c) => c.payload)).toEqual(["MUG", "CUP", "HAT"].map((sku) => ({ orderId: d.orderId, sku })));
	});

	it("fails on a short line naming its SKU (every short line, also one refused after the first), and releases every line sent", async () => {
		const d = threeLines();
		await place(d);
		await deliver([reserved(d.orderId, "MUG")]);
		await deliver([short(d.orderId, "CUP")]);
		// HAT is still in flight when CUP fails the order: it is released all the same.
		expect((await sent(d.orderId)).filter((s) => /release|void|cancel/.test(s)).sort()).toEqual([
			"billing.void-payment",
			"inventory.release-line",
			"inventory.release-line",
			"shipping.cancel-pickup",
		]);
		const undo = (await saga(d.orderId).history()).filter((h) => h.kind === "compensation" && h.messageId);
		expect(undo.map((h) => h.messageId).sort()).toEqual(
			[
				`${d.orderId}.authorize-payment.undo`,
				`${d.orderId}.reserve-stock[HAT].undo`,
				`${d.orderId}.reserve-stock[MUG].undo`,
				`${d.orderId}.schedule-pickup.undo`,
			].sort(),
		);
		await deliver([short(d.orderId, "HAT")]);
		// Delivered twice: the repeat is dropped, and the order still names each SKU once.
		await deliver([short(d.orderId, "CUP")]);
		await undoAll(d.orderId, ["reserve-stock[MUG]", "reserve-stock[HAT]", "authorize-payment", "schedule-pickup"]);
		const order = await view(d.orderId);
		expect(order).toMatchObject({
			status: "cancelled",
			failureReason: "out_of_stock",
			failureDetail: { skus: ["CUP", "HAT"] },
			saga: { phase: "compensated" },
		});
		const refusals = (await saga(d.orderId).history()).filter((h) => h.name === "inventory.stock-rejected");
		expect(refusals.map((h) => [h.kind, h.detail?.skus])).toEqual([
			["reply", ["CUP"]],
			["ignored", ["HAT"]],
		]);
		const res = await call("GET", `/orders/${d.orderId}`);
		expect(await res.json()).toMatchObject({ failureDetail: { skus: ["CUP", "HAT"] } });
	});

	it("keeps one branch per SKU when a draft names a SKU twice: the quantities are added, never reserved twice", async () => {
		const d = draft({
			items: [
				{ sku: "MUG", quantity: 2, unitPrice: 1250 },
				{ sku: "MUG", quantity: 1, unitPrice: 1250 },
			],
		});
		const inventory = await tapService(saga(d.orderId), "INVENTORY");
		await place(d);
		expect(inventory.called.map((c) => c.payload)).toEqual([{ orderId: d.orderId, sku: "MUG", quantity: 3 }]);
	});
});

/** Rewrites a fresh order's saga as version 2 stored it: its three steps in flight, by their version-2 names. */
const storedByVersion2 = (orderId: string) =>
	runInDurableObject(saga(orderId), (_: unknown, state: DurableObjectState) => {
		state.storage.sql.exec(
			`UPDATE orders SET saga = json_set(saga, '$.version', 2,
				'$.steps', json_object('reserve-stock', json_extract(saga, '$.steps."reserve-stock[MUG]"'),
					'authorize-payment', json_extract(saga, '$.steps."authorize-payment"'),
					'schedule-pickup', json_extract(saga, '$.steps."schedule-pickup"')),
				'$.registered', json('["reserve-stock","authorize-payment","schedule-pickup"]'))`,
		);
	});

describe("An order that started on placement version 2", () => {
	it("names its lines in its whole-order release and commit, so inventory finds the SKUs that hold its stock", async () => {
		const orderId = await place();
		await storedByVersion2(orderId);
		const inventory = await tapService(saga(orderId), "INVENTORY");
		await deliver([replyTo(orderId, "reserve-stock", "inventory.stock-reserved"), authorized(orderId)]);
		await deliver([scheduled(orderId)]);
		expect(inventory.called.map((c) => [c.type, c.payload])).toEqual([
			["inventory.commit-stock", { orderId, lines: [{ sku: "MUG", quantity: 2 }] }],
		]);

		const cancelled = await place();
		await storedByVersion2(cancelled);
		const tapped = await tapService(saga(cancelled), "INVENTORY");
		expect((await call("POST", `/orders/${cancelled}/cancel`)).status).toBe(202);
		expect(tapped.called.map((c) => [c.type, c.payload])).toEqual([
			["inventory.release-stock", { orderId: cancelled, lines: [{ sku: "MUG", quantity: 2 }] }],
		]);
	});
});
