import type { HandleOutcome, HandleResult } from "../../../shared/durable/messaging-object";
import { causedBy, type Envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import { producerFor } from "../../../shared/queue/shards";
import { quantitiesBySku, wholeOrderVerdict } from "./domain/stock";
import type { SkuStock } from "./sku-stock-do";

type Line = { sku: string; quantity: number };

/**
 * The whole-order commands of placement v1/v2 (`reserve-stock`, `release-stock`, `commit-stock`),
 * carried out line by line in the SKU objects that hold the stock. Each line's command has an id
 * derived from the whole command's, so a repeat of the whole command repeats each line's, which
 * the SKU's inbox answers with what it answered first: the answer is the same every time.
 */
export class WholeOrder {
	constructor(
		private readonly env: InventoryEnv,
		private readonly skuStock: (sku: string) => DurableObjectStub<SkuStock>,
	) {}

	/** The replies to the caller (a saga's RPC). */
	async execute(msg: Envelope): Promise<HandleResult> {
		try {
			const reply = await this.carryOut(msg);
			return { outcome: "handled", replies: [JSON.stringify(reply)] };
		} catch (error) {
			if (!(error instanceof LinePoison)) throw error;
			return { outcome: "poison", reason: error.message, replies: [] };
		}
	}

	/** The replies on order-events (an operator replaying the command's queue): sent again by every repeat. */
	async handle(msg: Envelope): Promise<HandleOutcome> {
		const result = await this.execute(msg);
		if (result.outcome === "handled") {
			const events = producerFor(this.env, "order-events", msg.correlationId);
			if (!events) throw new Error("no producer of this order's order-events shard");
			await events.sendBatch(result.replies.map((r) => ({ body: JSON.parse(r), contentType: "json" })));
		}
		return result;
	}

	private async line(
		msg: Envelope,
		suffix: string,
		type: string,
		payload: (Line | { sku: string }) & { orderId: string },
	) {
		const id = `${msg.id}[${payload.sku}]${suffix}`;
		const result = await this.skuStock(payload.sku).execute({ ...msg, id, type, payload });
		if (result.outcome === "poison") throw new LinePoison(result.reason ?? "unapplicable");
		return JSON.parse(result.replies[0] ?? "null") as Envelope<{ reason?: string }> | null;
	}

	private async carryOut(msg: Envelope): Promise<Envelope> {
		const reply = (type: string, payload: unknown) => causedBy(msg, "inventory", type, payload);
		switch (msg.type) {
			case "inventory.reserve-stock": {
				const { orderId, lines } = msg.payload as Payload<"inventory.reserve-stock">;
				const wanted = [...quantitiesBySku(lines)].map(([sku, quantity]) => ({ sku, quantity }));
				const answers = await Promise.all(
					wanted.map(async (l) => {
						const r = await this.line(msg, "", "inventory.reserve-line", { orderId, ...l });
						return { sku: l.sku, reserved: r?.type === "inventory.stock-reserved", reason: r?.payload.reason };
					}),
				);
				const verdict = wholeOrderVerdict(answers);
				if (verdict.reserved) return reply("inventory.stock-reserved", { orderId });
				// All or nothing: what was reserved for this order goes back before the refusal leaves.
				await Promise.all(
					verdict.release.map((sku) => this.line(msg, ".undo", "inventory.release-line", { orderId, sku })),
				);
				return reply("inventory.stock-rejected", { orderId, reason: verdict.reason, skus: verdict.short });
			}
			case "inventory.release-stock":
			case "inventory.commit-stock": {
				const { orderId, lines } = msg.payload as Payload<"inventory.release-stock">;
				if (!lines) throw new LinePoison(`order ${orderId}: ${msg.type} without lines, and stock is kept per SKU`);
				const perLine = msg.type === "inventory.release-stock" ? "inventory.release-line" : "inventory.commit-line";
				await Promise.all(
					[...quantitiesBySku(lines).keys()].map((sku) => this.line(msg, "", perLine, { orderId, sku })),
				);
				const done = msg.type === "inventory.release-stock" ? "inventory.stock-released" : "inventory.stock-committed";
				return reply(done, { orderId });
			}
			default:
				throw new LinePoison(`inventory does not handle ${msg.type} for a whole order`);
		}
	}
}

/** A line that can never apply makes the whole command one that can never apply. */
class LinePoison extends Error {}

export const WHOLE_ORDER_COMMANDS: ReadonlySet<string> = new Set([
	"inventory.reserve-stock",
	"inventory.release-stock",
	"inventory.commit-stock",
]);
