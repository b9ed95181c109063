/** Stock rules, free of I/O: what a reservation needs and whether a warehouse can give it. */
export interface StockLevel {
	sku: string;
	onHand: number;
	reserved: number;
	committed: number;
	unitPrice: number;
}

export type ReservationState = "reserved" | "rejected" | "released" | "committed";

export const available = (s: StockLevel) => s.onHand - s.reserved;

export const stockView = (s: StockLevel) => ({
	sku: s.sku,
	onHand: s.onHand,
	reserved: s.reserved,
	available: available(s),
	unitPrice: s.unitPrice,
	committed: s.committed,
});

/** Quantities per SKU, with repeated lines of one SKU added together. */
export function quantitiesBySku(lines: readonly { sku: string; quantity: number }[]): Map<string, number> {
	const out = new Map<string, number>();
	for (const l of lines) out.set(l.sku, (out.get(l.sku) ?? 0) + l.quantity);
	return out;
}

/** All or nothing: the SKUs that cannot be reserved, or none when every line can. */
export function shortSkus(levels: ReadonlyMap<string, StockLevel>, wanted: ReadonlyMap<string, number>): string[] {
	const short: string[] = [];
	for (const [sku, qty] of wanted) {
		const level = levels.get(sku);
		if (!level || available(level) < qty) short.push(sku);
	}
	return short;
}

/** Setting on-hand stock below what is reserved would break promises already made. */
export function canSetOnHand(level: StockLevel | undefined, onHand: number): boolean {
	return !level || onHand >= level.reserved;
}
