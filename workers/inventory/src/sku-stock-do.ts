import {
	type HandleOutcome,
	type HandleResult,
	MessagingObject,
	type Staged,
	Unapplicable,
} from "../../../shared/durable/messaging-object";
import type { Envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import { usage } from "../../../shared/observability/usage";
import { canReserve, canSetOnHand, type ReservationState, type StockLevel, stockView } from "./domain/stock";

const MIGRATIONS = [
	`CREATE TABLE stock (sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0,
		committed INTEGER NOT NULL DEFAULT 0, unit_price INTEGER NOT NULL, received INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE reservations (order_id TEXT PRIMARY KEY, state TEXT NOT NULL, quantity INTEGER NOT NULL, updated_at INTEGER NOT NULL);`,
	// Units customers sent back, once per return: back on hand, counted apart from what was received.
	`ALTER TABLE stock ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE restocks (return_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, quantity INTEGER NOT NULL, updated_at INTEGER NOT NULL);`,
];

type Row = {
	sku: string;
	on_hand: number;
	reserved: number;
	committed: number;
	unit_price: number;
	received: number;
	returned: number;
};
const toLevel = (r: Row): StockLevel => ({
	sku: r.sku,
	onHand: r.on_hand,
	reserved: r.reserved,
	committed: r.committed,
	unitPrice: r.unit_price,
});

export interface SkuReservation {
	orderId: string;
	sku: string;
	state: ReservationState;
	quantity: number;
}

/**
 * One SKU's stock (one object per SKU, named by it): its levels and price, and each order's
 * reservation of it, which moves reserved → committed or released exactly once. Orders for
 * different SKUs never meet here; an order of several lines reserves each in its own object.
 */
export class SkuStock extends MessagingObject<InventoryEnv> {
	protected readonly service = "inventory";
	// Every order for this SKU passes through here, for as long as the SKU is sold.
	protected override readonly prunesInbox = true;

	constructor(ctx: DurableObjectState, env: InventoryEnv) {
		super(ctx, env, MIGRATIONS);
	}

	protected onTimer(): void {}

	private row(): Row | undefined {
		return this.sql.exec<Row>("SELECT * FROM stock").toArray()[0];
	}

	private level(): StockLevel | undefined {
		const row = this.row();
		return row ? toLevel(row) : undefined;
	}

	async getStock() {
		usage.objectRequest(this);
		const level = this.level();
		return level ? stockView(level) : null;
	}

	/** Sets on-hand stock and price; null (and nothing changed) when that would fall below what is reserved. */
	async setStock(sku: string, onHand: number, unitPrice: number) {
		usage.objectRequest(this);
		const level = this.level();
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
		return stockView(this.level() as StockLevel);
	}

	/** Stock received in all (restocks and corrections) and returned by customers: on hand + committed must always equal the two. */
	async ledger() {
		usage.objectRequest(this);
		const r = this.row();
		return r
			? {
					sku: r.sku,
					received: r.received,
					returned: r.returned,
					on_hand: r.on_hand,
					reserved: r.reserved,
					committed: r.committed,
				}
			: null;
	}

	/** Every return's units put back on this SKU's shelf: what the invariant checker compares with the returns. */
	async restocks(): Promise<{ returnId: string; orderId: string; sku: string; quantity: number }[]> {
		usage.objectRequest(this);
		const sku = this.row()?.sku;
		if (!sku) return [];
		return this.sql
			.exec<{ return_id: string; order_id: string; quantity: number }>(
				"SELECT return_id, order_id, quantity FROM restocks ORDER BY return_id",
			)
			.toArray()
			.map((r) => ({ returnId: r.return_id, orderId: r.order_id, sku, quantity: r.quantity }));
	}

	/** Every order's reservation of this SKU: what the invariant checker compares with the orders. */
	async reservations(): Promise<SkuReservation[]> {
		usage.objectRequest(this);
		const sku = this.row()?.sku;
		if (!sku) return [];
		return this.sql
			.exec<{ order_id: string; state: ReservationState; quantity: number }>(
				"SELECT order_id, state, quantity FROM reservations ORDER BY order_id",
			)
			.toArray()
			.map((r) => ({ orderId: r.order_id, sku, state: r.state, quantity: r.quantity }));
	}

	async handle(msg: Envelope): Promise<HandleOutcome> {
		return this.handleOnce(msg.id, () => this.decide(msg));
	}

	/** The same command, answered to the caller instead of the order-events queue. */
	async execute(msg: Envelope): Promise<HandleResult> {
		return this.handleOnce(msg.id, () => this.decide(msg), "return");
	}

	private reservation(orderId: string) {
		return (
			this.sql
				.exec<{ state: ReservationState; quantity: number }>(
					"SELECT state, quantity FROM reservations WHERE order_id = ?",
					orderId,
				)
				.toArray()[0] ?? null
		);
	}

	private setReservation(orderId: string, state: ReservationState, quantity: number) {
		this.sql.exec(
			`INSERT INTO reservations (order_id, state, quantity, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT(order_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			orderId,
			state,
			quantity,
			Date.now(),
		);
	}

	private decide(msg: Envelope): Staged[] {
		const reply = (type: string, payload: unknown): Staged[] => [this.answer(msg, type, payload)];
		switch (msg.type) {
			case "inventory.reserve-line": {
				const { orderId, sku, quantity } = msg.payload as Payload<"inventory.reserve-line">;
				const existing = this.reservation(orderId);
				if (existing) {
					// One reservation per order and SKU: a repeat (or a second line of the SKU) never reserves again,
					// and one released before it arrived (a late command after a cancel) must not reserve now.
					return existing.state === "reserved" || existing.state === "committed"
						? reply("inventory.stock-reserved", { orderId })
						: reply("inventory.stock-rejected", {
								orderId,
								reason: existing.state === "rejected" ? "out_of_stock" : existing.state,
								skus: existing.state === "rejected" ? [sku] : [],
							});
				}
				const level = this.level();
				if (!canReserve(level, quantity)) {
					this.setReservation(orderId, "rejected", 0);
					return reply("inventory.stock-rejected", { orderId, reason: "out_of_stock", skus: [sku] });
				}
				this.sql.exec("UPDATE stock SET reserved = reserved + ?", quantity);
				this.setReservation(orderId, "reserved", quantity);
				return reply("inventory.stock-reserved", { orderId });
			}
			case "inventory.release-line": {
				const { orderId } = msg.payload as Payload<"inventory.release-line">;
				const existing = this.reservation(orderId);
				if (existing?.state === "committed")
					throw new Unapplicable(`order ${orderId}: committed stock cannot be released`);
				if (existing?.state === "reserved")
					this.sql.exec("UPDATE stock SET reserved = reserved - ?", existing.quantity);
				// Left as a tombstone when nothing was reserved yet, so a late reservation is refused.
				if (existing?.state !== "rejected") this.setReservation(orderId, "released", existing?.quantity ?? 0);
				return reply("inventory.stock-released", { orderId });
			}
			case "inventory.commit-line": {
				const { orderId } = msg.payload as Payload<"inventory.commit-line">;
				const existing = this.reservation(orderId);
				if (existing?.state === "reserved") {
					const qty = existing.quantity;
					this.sql.exec(
						"UPDATE stock SET reserved = reserved - ?, on_hand = on_hand - ?, committed = committed + ?",
						qty,
						qty,
						qty,
					);
					this.setReservation(orderId, "committed", qty);
				} else if (existing?.state !== "committed") {
					throw new Unapplicable(`order ${orderId}: no reservation to commit (${existing?.state ?? "none"})`);
				}
				return reply("inventory.stock-committed", { orderId });
			}
			case "inventory.restock-line": {
				const { orderId, returnId, sku, quantity } = msg.payload as Payload<"inventory.restock-line">;
				if (!this.row()) throw new Unapplicable(`no stock of ${sku} to return units to`);
				const done = this.sql.exec("SELECT 1 FROM restocks WHERE return_id = ?", returnId).toArray().length > 0;
				// Once per return: the same return's units never go back twice, whatever the command's id.
				if (!done) {
					this.sql.exec("UPDATE stock SET on_hand = on_hand + ?, returned = returned + ?", quantity, quantity);
					this.sql.exec(
						"INSERT INTO restocks (return_id, order_id, quantity, updated_at) VALUES (?, ?, ?, ?)",
						returnId,
						orderId,
						quantity,
						Date.now(),
					);
				}
				return reply("inventory.stock-restocked", { orderId, returnId });
			}
			default:
				throw new Unapplicable(`a SKU's stock does not handle ${msg.type}`);
		}
	}
}
