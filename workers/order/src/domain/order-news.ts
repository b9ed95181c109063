import type { OrderStatus } from "./order";

export type OrderNews =
	| "order.placed"
	| "order.confirmed"
	| "order.cancelled"
	| "order.shipped"
	| "order.delivered"
	| "order.summary-changed";

const FORWARD: readonly OrderStatus[] = ["pending", "confirmed", "shipped", "delivered"];
const EVENT_OF: Record<OrderStatus, OrderNews> = {
	pending: "order.placed",
	confirmed: "order.confirmed",
	shipped: "order.shipped",
	delivered: "order.delivered",
	cancelled: "order.cancelled",
};

/**
 * What a change of the order tells its consumers. A new status is a domain event; a status
 * reached past another in one change publishes the skipped one too, so billing never misses
 * `order.confirmed`. A change the status does not show is a summary change for the read model.
 * `before` is null for an order being placed. Pure.
 */
export function newsOf(before: OrderStatus | null, after: OrderStatus): OrderNews[] {
	if (before === after) return ["order.summary-changed"];
	if (after === "cancelled") return before === null ? [EVENT_OF.pending, EVENT_OF.cancelled] : [EVENT_OF.cancelled];
	const from = before === null ? 0 : FORWARD.indexOf(before) + 1;
	return FORWARD.slice(from, FORWARD.indexOf(after) + 1).map((s) => EVENT_OF[s]);
}
