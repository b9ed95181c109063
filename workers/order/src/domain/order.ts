import type { SagaDefinition } from "../../../../shared/saga/definition";
import { pastPivot, type StoredSagaState } from "../../../../shared/saga/engine";

/** The order's lifecycle as customers see it, derived from its saga and its shipment. Pure. */
export type OrderStatus = "pending" | "confirmed" | "shipped" | "delivered" | "cancelled";
export type ShipmentProgress = "picked_up" | "in_transit" | "delivered";

export interface ShippingAddress {
	name: string;
	line1: string;
	city: string;
	postalCode: string;
	country: string;
}

const CARRIER_EVENTS: Record<string, ShipmentProgress> = {
	"shipping.picked-up": "picked_up",
	"shipping.in-transit": "in_transit",
	"shipping.delivered": "delivered",
};
const PROGRESS_RANK: Record<ShipmentProgress, number> = { picked_up: 1, in_transit: 2, delivered: 3 };

export const isCarrierEvent = (type: string) => Object.hasOwn(CARRIER_EVENTS, type);

/** The shipment's progress after a carrier event; unchanged when the event is late or repeated (the carrier only moves on). */
export function progressAfter(current: ShipmentProgress | null, eventType: string): ShipmentProgress | null {
	const next = CARRIER_EVENTS[eventType];
	if (!next) return current;
	if (current && PROGRESS_RANK[current] >= PROGRESS_RANK[next]) return current;
	return next;
}

export function orderStatus<D>(
	def: SagaDefinition<D>,
	saga: StoredSagaState<D>,
	shipment: ShipmentProgress | null,
): OrderStatus {
	if (saga.phase === "compensated") return "cancelled";
	if (shipment === "delivered") return "delivered";
	if (shipment) return "shipped";
	return pastPivot(def, saga) ? "confirmed" : "pending";
}

/** A cancel is accepted while the saga can still compensate, or is compensating already. */
export type CancelVerdict = "abort" | "already-cancelling" | "refused";
export function cancelVerdict<D>(def: SagaDefinition<D>, saga: StoredSagaState<D>): CancelVerdict {
	if (saga.phase === "compensating") return "already-cancelling";
	return saga.phase === "running" && !pastPivot(def, saga) ? "abort" : "refused";
}

export const orderTotal = (items: readonly { quantity: number; unitPrice: number }[]) =>
	items.reduce((sum, i) => sum + i.quantity * i.unitPrice, 0);

/** One line per SKU, quantities added: the gateway refuses a SKU named twice, and a saga branch is keyed by SKU. */
export function linesBySku(items: readonly { sku: string; quantity: number }[]) {
	const lines = new Map<string, number>();
	for (const i of items) lines.set(i.sku, (lines.get(i.sku) ?? 0) + i.quantity);
	return [...lines].map(([sku, quantity]) => ({ sku, quantity }));
}
