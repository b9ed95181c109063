import type { Payload } from "../../../../shared/messages";

type Summary = Payload<"order.summary-changed">;

/**
 * The newest summary of each order in a batch. The database keeps the newest revision anyway;
 * this only spares it the statements whose outcome is already known.
 */
export function newestPerOrder(summaries: readonly Summary[]): Summary[] {
	const newest = new Map<string, Summary>();
	for (const s of summaries) {
		const kept = newest.get(s.orderId);
		if (!kept || s.revision > kept.revision) newest.set(s.orderId, s);
	}
	return [...newest.values()];
}

/** Where a page ended: the sort key of its last order (newest first, ties by id). */
export type Position = [createdAt: string, id: string];

export const encodeCursor = (p: Position) => btoa(JSON.stringify(p));

/** The position a cursor of this API names, or null for anything else. */
export function decodeCursor(cursor: string): Position | null {
	try {
		const v = JSON.parse(atob(cursor));
		return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string") ? (v as Position) : null;
	} catch {
		return null;
	}
}
