/** Shipment rules, free of I/O, and the simulated carrier's legs. */
export type ShipmentStatus = "scheduled" | "rejected" | "cancelled" | "picked_up" | "in_transit" | "delivered";

/** Countries the carrier does not serve (Antarctica), the deterministic `shipping_unavailable` trigger. */
const UNSERVED_COUNTRIES = new Set(["AQ"]);

export const canShipTo = (country: string) => !UNSERVED_COUNTRIES.has(country);

/** Once confirmed, the carrier moves a shipment on leg by leg; each leg is one event to the order. */
export const CARRIER_LEGS = {
	scheduled: { next: "picked_up", event: "shipping.picked-up", delay: "CARRIER_PICKUP_MS" },
	picked_up: { next: "in_transit", event: "shipping.in-transit", delay: "CARRIER_TRANSIT_MS" },
	in_transit: { next: "delivered", event: "shipping.delivered", delay: "CARRIER_DELIVERY_MS" },
} as const satisfies Partial<Record<ShipmentStatus, { next: ShipmentStatus; event: string; delay: string }>>;

export type CarrierLeg = (typeof CARRIER_LEGS)[keyof typeof CARRIER_LEGS];

export const legFrom = (status: ShipmentStatus): CarrierLeg | undefined =>
	(CARRIER_LEGS as Partial<Record<ShipmentStatus, CarrierLeg>>)[status];

/** A pickup can be cancelled until the carrier has it. */
export const cancellable = (status: ShipmentStatus, confirmed: boolean) => status === "scheduled" && !confirmed;

const PROGRESS: ShipmentStatus[] = ["scheduled", "picked_up", "in_transit", "delivered"];

/** The legs a shipment has already travelled, in order: the events the order should have had. */
export function legsTravelled(status: ShipmentStatus): CarrierLeg[] {
	const reached = PROGRESS.indexOf(status);
	return PROGRESS.slice(0, Math.max(reached, 0))
		.map(legFrom)
		.filter((l): l is CarrierLeg => l !== undefined);
}

/** A return's pickup: scheduled, then delivered back by the carrier, unless rejected or cancelled first. */
export type ReturnPickupStatus = "scheduled" | "rejected" | "cancelled" | "delivered";

/** A return travels the same legs as a shipment, the other way. */
export const RETURN_LEGS = Object.values(CARRIER_LEGS).map((leg) => leg.delay);
