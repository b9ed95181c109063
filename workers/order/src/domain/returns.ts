import type { OrderStatus } from "./order";

/** What the order says about returns of its lines: whether one may be made, and what it refunds. Pure. */

export type ReturnLine = { sku: string; quantity: number };
export type HeldReturn = { lines: ReturnLine[]; state: ReturnHoldState };
/** `held`: a return in progress has the units; `recorded`: returned and refunded; `released`: the return failed. */
export type ReturnHoldState = "held" | "recorded" | "released";

export interface ReturnableOrder {
	status: OrderStatus;
	/** When the carrier delivered it (ISO), null while it is not delivered. */
	deliveredAt: string | null;
	items: readonly { sku: string; quantity: number; unitPrice: number }[];
	returns: readonly HeldReturn[];
}

export type ReturnVerdict =
	| { ok: true; amount: number }
	| { ok: false; status: 409 | 422; code: string; title: string; skus?: string[] };

/** Units of each SKU returned or being returned: held and recorded returns count, released ones do not. */
export function unitsTaken(returns: readonly HeldReturn[]): Map<string, number> {
	const taken = new Map<string, number>();
	for (const r of returns)
		if (r.state !== "released") for (const l of r.lines) taken.set(l.sku, (taken.get(l.sku) ?? 0) + l.quantity);
	return taken;
}

/**
 * A return may take back, within the window after delivery, units of a delivered order that no
 * other return has taken; its refund is what those units cost.
 */
export function returnVerdict(
	order: ReturnableOrder,
	lines: readonly ReturnLine[],
	windowMs: number,
	now: number,
): ReturnVerdict {
	if (order.status !== "delivered" || order.deliveredAt === null)
		return { ok: false, status: 409, code: "order_not_delivered", title: "Only a delivered order can be returned" };
	if (now > Date.parse(order.deliveredAt) + windowMs)
		return {
			ok: false,
			status: 409,
			code: "return_window_closed",
			title: "The return window of this order has closed",
		};
	const taken = unitsTaken(order.returns);
	const bought = new Map(order.items.map((i) => [i.sku, i]));
	const over = lines
		.filter((l) => l.quantity + (taken.get(l.sku) ?? 0) > (bought.get(l.sku)?.quantity ?? 0))
		.map((l) => l.sku);
	if (over.length > 0)
		return {
			ok: false,
			status: 422,
			code: "return_exceeds_order",
			title: "The return takes back more than was bought and not yet returned",
			skus: over,
		};
	const amount = lines.reduce((sum, l) => sum + l.quantity * (bought.get(l.sku)?.unitPrice ?? 0), 0);
	return { ok: true, amount };
}

/** What the order has refunded in all: the sum of its recorded returns' refunds. */
export const refundedTotal = (returns: readonly { state: ReturnHoldState; refunded: number }[]) =>
	returns.reduce((sum, r) => sum + (r.state === "recorded" ? r.refunded : 0), 0);
