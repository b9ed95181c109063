/** Stock rules, free of I/O: what a reservation needs and whether a SKU can give it. */
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

/** A line can be reserved when its SKU is kept and has enough available; an unknown SKU is short. */
export const canReserve = (level: StockLevel | undefined, quantity: number): level is StockLevel =>
	level !== undefined && available(level) >= quantity;

/** Setting on-hand stock below what is reserved would break promises already made. */
export function canSetOnHand(level: StockLevel | undefined, onHand: number): boolean {
	return !level || onHand >= level.reserved;
}

/** One SKU's answer to one line of a whole-order reservation. */
export interface LineAnswer {
	sku: string;
	reserved: boolean;
	/** Why a line was refused: `out_of_stock`, or the state of a reservation released before it arrived. */
	reason?: string;
}

/**
 * A whole-order reservation (placement v1/v2) carried out line by line: all or nothing, so the
 * lines that were reserved are released again when any line was refused.
 */
export function wholeOrderVerdict(answers: readonly LineAnswer[]) {
	const refused = answers.filter((a) => !a.reserved);
	if (refused.length === 0) return { reserved: true as const };
	return {
		reserved: false as const,
		reason: refused.find((a) => a.reason !== "out_of_stock")?.reason ?? "out_of_stock",
		short: refused.filter((a) => a.reason === "out_of_stock").map((a) => a.sku),
		release: answers.filter((a) => a.reserved).map((a) => a.sku),
	};
}
