import {
	type HandleOutcome,
	type HandleResult,
	MessagingObject,
	type Staged,
	type Timer,
	Unapplicable,
} from "../../../shared/durable/messaging-object";
import { causedBy, type Envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import { shardFor } from "../../../shared/topology";
import { cancellable, canShipTo, legFrom, legsTravelled, type ShipmentStatus } from "./domain/shipment";

const MIGRATIONS = [
	`CREATE TABLE shipment (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, pickup_id TEXT, confirmed INTEGER NOT NULL DEFAULT 0,
		updated_at INTEGER NOT NULL);`,
];

type ShipmentRow = { order_id: string; status: ShipmentStatus; pickup_id: string | null; confirmed: number };

/** One order's shipment: a pickup slot, then the carrier's legs on this object's alarm. */
export class Shipment extends MessagingObject<ShippingEnv> {
	protected readonly service = "shipping";

	constructor(ctx: DurableObjectState, env: ShippingEnv) {
		super(ctx, env, MIGRATIONS);
	}

	private row(): ShipmentRow | undefined {
		return this.sql.exec<ShipmentRow>("SELECT order_id, status, pickup_id, confirmed FROM shipment").toArray()[0];
	}

	async view() {
		const row = this.row();
		if (!row) return null;
		return { orderId: row.order_id, status: row.status, pickupId: row.pickup_id, confirmed: row.confirmed === 1 };
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
		const reply = (type: string, payload: unknown): Staged[] => [
			{
				queue: shardFor("order-events", msg.correlationId).producer,
				message: causedBy(msg, this.service, type, payload),
			},
		];
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
				if (row.confirmed === 0) {
					this.sql.exec("UPDATE shipment SET confirmed = 1, updated_at = ?", Date.now());
					this.scheduleLeg(row.status, msg);
				}
				return reply("shipping.pickup-confirmed", { orderId });
			}
			case "shipping.report-shipment": {
				const { orderId } = msg.payload as Payload<"shipping.report-shipment">;
				// The same ids as the first time, so the order applies only what it missed.
				return legsTravelled(row?.status ?? "scheduled").map((leg) => ({
					queue: shardFor("order-events", msg.correlationId).producer,
					message: causedBy(msg, this.service, leg.event, { orderId }, `${orderId}.${leg.event}`),
				}));
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

	private scheduleLeg(from: ShipmentStatus, cause: Envelope) {
		const leg = legFrom(from);
		if (leg) this.setTimer("carrier", Date.now() + Number(this.env[leg.delay]), cause);
	}

	/** The carrier moved the shipment on: record it, tell the order, and schedule the next leg. */
	protected onTimer(timer: Timer): void {
		const row = this.row();
		const leg = row && legFrom(row.status);
		if (timer.key !== "carrier" || !row || !leg) return;
		const cause = timer.payload as Envelope;
		this.save(row.order_id, leg.next);
		const event = causedBy(cause, this.service, leg.event, { orderId: row.order_id }, `${row.order_id}.${leg.event}`);
		this.stage(shardFor("order-events", event.correlationId).producer, event);
		this.scheduleLeg(leg.next, cause);
	}
}
