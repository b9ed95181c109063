import {
	type HandleOutcome,
	type HandleResult,
	MessagingObject,
	type Staged,
	Unapplicable,
} from "../../../shared/durable/messaging-object";
import { causedBy, type Envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import { usage } from "../../../shared/observability/usage";
import {
	canSetOnHand,
	quantitiesBySku,
	type ReservationState,
	type StockLevel,
	shortSkus,
	stockView,
} from "./domain/stock";

const MIGRATIONS = [
	`CREATE TABLE stock (sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0,
		committed INTEGER NOT NULL DEFAULT 0, unit_price INTEGER NOT NULL, received INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE reservations (order_id TEXT PRIMARY KEY, state TEXT NOT NULL, lines TEXT NOT NULL, updated_at INTEGER NOT NULL);`,
];

type Row = { sku: string; on_hand: number; reserved: number; committed: number; unit_price: number };
const toLevel = (r: Row): StockLevel => ({
	sku: r.sku,
	onHand: r.on_hand,
	reserved: r.reserved,
	committed: r.committed,
	unitPrice: r.unit_price,
});

/**
 * One warehouse's stock. A single writer, so one transaction reserves every line of an order or
 * none, and each order's reservation moves reserved → committed or released exactly once.
 */
export class Stockroom extends MessagingObject<InventoryEnv> {
	protected readonly service = "inventory";
	// Every order's commands pass through here, for as long as the warehouse exists.
	protected override readonly prunesInbox = true;

	constructor(ctx: DurableObjectState, env: InventoryEnv) {
		super(ctx, env, MIGRATIONS);
	}

	protected onTimer(): void {}

	private levels(skus: Iterable<string>): Map<string, StockLevel> {
		const list = [...skus];
		if (list.length === 0) return new Map();
		const rows = this.sql
			.exec<Row>(`SELECT * FROM stock WHERE sku IN (${list.map(() => "?").join(",")})`, ...list)
			.toArray();
		return new Map(rows.map((r) => [r.sku, toLevel(r)]));
	}

	async getStock(skus: string[]) {
		usage.objectRequest(this);
		return [...this.levels(skus).values()].map(stockView);
	}

	/** Sets on-hand stock and price; null when that would fall below what is reserved. */
	async setStock(sku: string, onHand: number, unitPrice: number) {
		usage.objectRequest(this);
		const level = this.levels([sku]).get(sku);
		if (!canSetOnHand(level, onHand)) return null;
		this.commit(() => {
			const delta = onHand - (level?.onHand ?? 0);
			this.sql.exec(
				`INSERT INTO stock (sku, on_hand, unit_price, received) VALUES (?, ?, ?, ?)
				 ON CONFLICT(sku) DO UPDATE SET on_hand = excluded.on_hand, unit_price = excluded.unit_price, received = received + ?`,
				sku,
				onHand,
				unitPrice,
				delta,
				delta,
			);
		});
		return stockView(this.levels([sku]).get(sku) as StockLevel);
	}

	/** Stock received in all (restocks and corrections): on hand + committed must always equal it. */
	async ledger() {
		return this.sql
			.exec<{ sku: string; received: number; on_hand: number; reserved: number; committed: number }>(
				"SELECT sku, received, on_hand, reserved, committed FROM stock ORDER BY sku",
			)
			.toArray();
	}

	/** Every order's reservation as inventory holds it: what the invariant checker compares with the orders. */
	async reservations() {
		return this.sql
			.exec<{ order_id: string; state: ReservationState; lines: string }>(
				"SELECT order_id, state, lines FROM reservations ORDER BY order_id",
			)
			.toArray()
			.map((r) => ({ orderId: r.order_id, state: r.state, lines: JSON.parse(r.lines) as [string, number][] }));
	}

	async handle(msg: Envelope): Promise<HandleOutcome> {
		return this.handleOnce(msg.id, () => this.decide(msg));
	}

	/** The same command, answered to the caller instead of the order-events queue (for callers that orchestrate over RPC). */
	async execute(msg: Envelope): Promise<HandleResult> {
		return this.handleOnce(msg.id, () => this.decide(msg), "return");
	}

	private reservation(orderId: string) {
		const row = this.sql
			.exec<{ state: ReservationState; lines: string }>(
				"SELECT state, lines FROM reservations WHERE order_id = ?",
				orderId,
			)
			.toArray()[0];
		return row ? { state: row.state, lines: JSON.parse(row.lines) as [string, number][] } : null;
	}

	private setReservation(orderId: string, state: ReservationState, lines: [string, number][]) {
		this.sql.exec(
			`INSERT INTO reservations (order_id, state, lines, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT(order_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			orderId,
			state,
			JSON.stringify(lines),
			Date.now(),
		);
	}

	private decide(msg: Envelope): Staged[] {
		const reply = (type: string, payload: unknown): Staged[] => [
			{ queue: "ORDER_EVENTS", message: causedBy(msg, this.service, type, payload) },
		];
		switch (msg.type) {
			case "inventory.reserve-stock": {
				const { orderId, lines } = msg.payload as Payload<"inventory.reserve-stock">;
				const existing = this.reservation(orderId);
				if (existing) {
					// Released before it arrived (a late command after a cancel): it must not reserve now.
					return existing.state === "reserved" || existing.state === "committed"
						? reply("inventory.stock-reserved", { orderId })
						: reply("inventory.stock-rejected", { orderId, reason: existing.state, skus: [] });
				}
				const wanted = quantitiesBySku(lines);
				const short = shortSkus(this.levels(wanted.keys()), wanted);
				if (short.length > 0) {
					this.setReservation(orderId, "rejected", []);
					return reply("inventory.stock-rejected", { orderId, reason: "out_of_stock", skus: short });
				}
				for (const [sku, qty] of wanted)
					this.sql.exec("UPDATE stock SET reserved = reserved + ? WHERE sku = ?", qty, sku);
				this.setReservation(orderId, "reserved", [...wanted]);
				return reply("inventory.stock-reserved", { orderId });
			}
			case "inventory.release-stock": {
				const { orderId } = msg.payload as Payload<"inventory.release-stock">;
				const existing = this.reservation(orderId);
				if (existing?.state === "committed")
					throw new Unapplicable(`order ${orderId}: committed stock cannot be released`);
				if (existing?.state === "reserved") {
					for (const [sku, qty] of existing.lines)
						this.sql.exec("UPDATE stock SET reserved = reserved - ? WHERE sku = ?", qty, sku);
				}
				if (existing?.state !== "rejected") this.setReservation(orderId, "released", existing?.lines ?? []);
				return reply("inventory.stock-released", { orderId });
			}
			case "inventory.commit-stock": {
				const { orderId } = msg.payload as Payload<"inventory.commit-stock">;
				const existing = this.reservation(orderId);
				if (existing?.state === "reserved") {
					for (const [sku, qty] of existing.lines)
						this.sql.exec(
							"UPDATE stock SET reserved = reserved - ?, on_hand = on_hand - ?, committed = committed + ? WHERE sku = ?",
							qty,
							qty,
							qty,
							sku,
						);
					this.setReservation(orderId, "committed", existing.lines);
				} else if (existing?.state !== "committed") {
					throw new Unapplicable(`order ${orderId}: no reservation to commit (${existing?.state ?? "none"})`);
				}
				return reply("inventory.stock-committed", { orderId });
			}
			default:
				throw new Unapplicable(`inventory does not handle ${msg.type}`);
		}
	}
}
