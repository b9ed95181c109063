import {
	type HandleOutcome,
	type HandleResult,
	MessagingObject,
	type Staged,
	type Timer,
	Unapplicable,
} from "../../../shared/durable/messaging-object";
import type { Envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import {
	cancellable,
	canShipTo,
	legFrom,
	legsTravelled,
	RETURN_LEGS,
	type ReturnPickupStatus,
	type ShipmentStatus,
} from "./domain/shipment";

const MIGRATIONS = [
	`CREATE TABLE shipment (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, pickup_id TEXT, confirmed INTEGER NOT NULL DEFAULT 0,
		updated_at INTEGER NOT NULL);`,
	// A return's pickup: the carrier collects the goods from the customer and brings them back.
	`CREATE TABLE return_pickup (return_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, status TEXT NOT NULL,
		pickup_id TEXT, updated_at INTEGER NOT NULL);`,
	// The carrier's next leg is a state timer: due a leg's time after the last one, caused by the confirmation.
	"ALTER TABLE shipment ADD COLUMN carrier_cause TEXT;",
];

/** The tables the migrations end in, as a fresh order's shipment creates them. */
const CURRENT = `CREATE TABLE shipment (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, pickup_id TEXT, confirmed INTEGER NOT NULL DEFAULT 0,
		updated_at INTEGER NOT NULL, carrier_cause TEXT) WITHOUT ROWID;
	CREATE TABLE return_pickup (return_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, status TEXT NOT NULL,
		pickup_id TEXT, updated_at INTEGER NOT NULL) WITHOUT ROWID;`;

type ReturnPickupRow = { return_id: string; order_id: string; status: ReturnPickupStatus; pickup_id: string | null };
const RETURN_CARRIER = "return-carrier";

type ShipmentRow = {
	order_id: string;
	status: ShipmentStatus;
	pickup_id: string | null;
	confirmed: number;
	updated_at: number;
	/** The confirmation the carrier's events answer (JSON); null on a shipment confirmed before legs were state timers. */
	carrier_cause: string | null;
};
const CARRIER = "carrier";

/** One order's shipment: a pickup slot, then the carrier's legs on this object's alarm. */
export class Shipment extends MessagingObject<ShippingEnv> {
	protected readonly service = "shipping";

	constructor(ctx: DurableObjectState, env: ShippingEnv) {
		super(ctx, env, MIGRATIONS, CURRENT);
	}

	private row(): ShipmentRow | undefined {
		return this.sql
			.exec<ShipmentRow>("SELECT order_id, status, pickup_id, confirmed, updated_at, carrier_cause FROM shipment")
			.toArray()[0];
	}

	async view() {
		const row = this.row();
		if (!row) return null;
		return { orderId: row.order_id, status: row.status, pickupId: row.pickup_id, confirmed: row.confirmed === 1 };
	}

	private returnPickup(): ReturnPickupRow | undefined {
		return this.sql
			.exec<ReturnPickupRow>("SELECT return_id, order_id, status, pickup_id FROM return_pickup")
			.toArray()[0];
	}

	async returnView() {
		const row = this.returnPickup();
		return row ? { returnId: row.return_id, orderId: row.order_id, status: row.status, pickupId: row.pickup_id } : null;
	}

	private saveReturn(returnId: string, orderId: string, status: ReturnPickupStatus, pickupId: string | null = null) {
		this.sql.exec(
			`INSERT INTO return_pickup (return_id, order_id, status, pickup_id, updated_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT(return_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
			returnId,
			orderId,
			status,
			pickupId,
			Date.now(),
		);
	}

	async handle(msg: Envelope): Promise<HandleOutcome> {
		return this.handleOnce(msg.id, () => this.decide(msg));
	}

	/** The same command, answered to the caller instead of the order-events queue (for callers that orchestrate over RPC). */
	async execute(msg: Envelope): Promise<HandleResult> {
		return this.handleOnce(msg.id, () => this.decide(msg), "return");
	}

	private save(orderId: string, status: ShipmentStatus, pickupId: string | null = null) {
		this.sql.exec(
			`INSERT INTO shipment (order_id, status, pickup_id, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT(order_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
			orderId,
			status,
			pickupId,
			Date.now(),
		);
	}

	private decide(msg: Envelope): Staged[] {
		const reply = (type: string, payload: unknown): Staged[] => [this.answer(msg, type, payload)];
		const row = this.row();
		switch (msg.type) {
			case "shipping.schedule-pickup": {
				const { orderId, address } = msg.payload as Payload<"shipping.schedule-pickup">;
				if (row) {
					// Rejected or cancelled before it arrived (a late command after a cancel): never schedule now.
					if (row.status === "rejected" || row.status === "cancelled") {
						return reply("shipping.pickup-rejected", {
							orderId,
							reason: row.status === "rejected" ? "shipping_unavailable" : "cancelled",
						});
					}
					return reply("shipping.pickup-scheduled", { orderId, pickupId: row.pickup_id });
				}
				if (!canShipTo(address.country)) {
					this.save(orderId, "rejected");
					return reply("shipping.pickup-rejected", { orderId, reason: "shipping_unavailable" });
				}
				const pickupId = `pck_${orderId.replace(/^ord_/, "")}`;
				this.save(orderId, "scheduled", pickupId);
				return reply("shipping.pickup-scheduled", { orderId, pickupId });
			}
			case "shipping.cancel-pickup": {
				const { orderId, pickupId } = msg.payload as Payload<"shipping.cancel-pickup">;
				this.requirePickup(row, pickupId);
				if (
					row &&
					row.status !== "rejected" &&
					row.status !== "cancelled" &&
					!cancellable(row.status, row.confirmed === 1)
				) {
					throw new Unapplicable(`order ${orderId}: the carrier has the shipment (${row.status})`);
				}
				if (!row || row.status === "scheduled") this.save(orderId, "cancelled");
				return reply("shipping.pickup-cancelled", { orderId });
			}
			case "shipping.confirm-pickup": {
				const { orderId, pickupId } = msg.payload as Payload<"shipping.confirm-pickup">;
				this.requirePickup(row, pickupId);
				if (!row || row.status === "rejected" || row.status === "cancelled") {
					throw new Unapplicable(`order ${orderId}: no pickup to confirm (${row?.status ?? "none"})`);
				}
				// The carrier's first leg is due from now (stateTimers).
				if (row.confirmed === 0)
					this.sql.exec(
						"UPDATE shipment SET confirmed = 1, updated_at = ?, carrier_cause = ?",
						Date.now(),
						JSON.stringify(msg),
					);
				return reply("shipping.pickup-confirmed", { orderId });
			}
			case "shipping.report-shipment": {
				const { orderId } = msg.payload as Payload<"shipping.report-shipment">;
				// The same ids as the first time, so the order applies only what it missed.
				return legsTravelled(row?.status ?? "scheduled").map((leg) =>
					this.answer(msg, leg.event, { orderId }, `${orderId}.${leg.event}`),
				);
			}
			case "shipping.schedule-return": {
				const { orderId, returnId, address } = msg.payload as Payload<"shipping.schedule-return">;
				const ref = { orderId, returnId };
				const existing = this.returnPickup();
				if (existing)
					// Rejected or cancelled before a repeat arrived: never schedule now.
					return existing.status === "rejected" || existing.status === "cancelled"
						? reply("shipping.return-rejected", { ...ref, reason: existing.status })
						: reply("shipping.return-scheduled", { ...ref, pickupId: existing.pickup_id });
				if (!canShipTo(address.country)) {
					this.saveReturn(returnId, orderId, "rejected");
					return reply("shipping.return-rejected", { ...ref, reason: "shipping_unavailable" });
				}
				const pickupId = `rpk_${returnId.replace(/^ret_/, "")}`;
				this.saveReturn(returnId, orderId, "scheduled", pickupId);
				// The simulated carrier brings the goods back after the legs a shipment travels.
				const legs = RETURN_LEGS.reduce((ms, delay) => ms + Number(this.env[delay]), 0);
				this.setTimer(RETURN_CARRIER, Date.now() + legs, msg);
				return reply("shipping.return-scheduled", { ...ref, pickupId });
			}
			case "shipping.cancel-return": {
				const { orderId, returnId } = msg.payload as Payload<"shipping.cancel-return">;
				const existing = this.returnPickup();
				// Left as a tombstone when nothing was scheduled yet, so a late schedule is refused. Goods
				// already back stay so: the return was given up on, but the carrier's record is the truth.
				if (!existing) this.saveReturn(returnId, orderId, "cancelled");
				else if (existing.status === "scheduled") {
					this.saveReturn(returnId, orderId, "cancelled");
					this.clearTimer(RETURN_CARRIER);
				}
				return reply("shipping.return-cancelled", { orderId, returnId });
			}
			default:
				throw new Unapplicable(`shipping does not handle ${msg.type}`);
		}
	}

	/** A command naming a pickup must name this shipment's: another one is a mistake, never applied. */
	private requirePickup(row: ShipmentRow | undefined, pickupId: string | undefined) {
		if (pickupId !== undefined && row?.pickup_id !== pickupId)
			throw new Unapplicable(`pickup ${pickupId} is not this shipment's (${row?.pickup_id ?? "none"})`);
	}

	/**
	 * The carrier's next leg, once the pickup is confirmed: due its leg's time after the shipment last
	 * moved, kept in the shipment's row, which each leg writes anyway.
	 */
	protected override stateTimers(): Timer[] {
		const row = this.row();
		const leg = row?.confirmed === 1 && row.carrier_cause !== null ? legFrom(row.status) : undefined;
		if (!row?.carrier_cause || !leg) return [];
		const dueAt = row.updated_at + Number(this.env[leg.delay]);
		return [{ key: CARRIER, dueAt, payload: JSON.parse(row.carrier_cause) }];
	}

	/** The carrier moved the shipment on: record it and tell the order; the next leg follows from the row. */
	protected onTimer(timer: Timer): void {
		if (timer.key === RETURN_CARRIER) {
			this.deliverReturn(timer.payload as Envelope);
			return;
		}
		const row = this.row();
		const leg = row && legFrom(row.status);
		if (timer.key !== CARRIER || !row || !leg) return;
		const cause = timer.payload as Envelope;
		this.save(row.order_id, leg.next);
		const { queue, message } = this.answer(cause, leg.event, { orderId: row.order_id }, `${row.order_id}.${leg.event}`);
		this.stage(queue, message);
		// A shipment confirmed before legs were state timers keeps going on its timers row.
		const next = legFrom(leg.next);
		if (row.carrier_cause === null && next) this.setTimer(CARRIER, Date.now() + Number(this.env[next.delay]), cause);
	}

	/** The carrier brought a return's goods back: the return's saga waits for this event, keyed by the return. */
	private deliverReturn(cause: Envelope) {
		const row = this.returnPickup();
		if (row?.status !== "scheduled") return;
		this.saveReturn(row.return_id, row.order_id, "delivered");
		const payload = { orderId: row.order_id, returnId: row.return_id };
		const { queue, message } = this.answer(
			cause,
			"shipping.return-delivered",
			payload,
			`${row.return_id}.return-delivered`,
		);
		this.stage(queue, message);
	}
}
