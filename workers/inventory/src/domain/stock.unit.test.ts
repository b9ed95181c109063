import { describe, expect, it } from "vitest";
import { available, canSetOnHand, quantitiesBySku, type StockLevel, shortSkus } from "./stock";

const level = (sku: string, onHand: number, reserved = 0): StockLevel => ({
	sku,
	onHand,
	reserved,
	committed: 0,
	unitPrice: 100,
});

describe("stock rules", () => {
	it("adds repeated lines of one SKU together", () => {
		expect([
			...quantitiesBySku([
				{ sku: "A", quantity: 2 },
				{ sku: "B", quantity: 1 },
				{ sku: "A", quantity: 3 },
			]),
		]).toEqual([
			["A", 5],
			["B", 1],
		]);
	});

	it("reserves all or nothing: any line short, or an unknown SKU, names what is short", () => {
		const levels = new Map([
			["A", level("A", 5, 1)],
			["B", level("B", 2)],
		]);
		expect(
			shortSkus(
				levels,
				new Map([
					["A", 4],
					["B", 2],
				]),
			),
		).toEqual([]);
		expect(
			shortSkus(
				levels,
				new Map([
					["A", 5],
					["B", 2],
				]),
			),
		).toEqual(["A"]);
		expect(shortSkus(levels, new Map([["Z", 1]]))).toEqual(["Z"]);
	});

	it("never lets on-hand stock fall below what is reserved", () => {
		expect(available(level("A", 5, 2))).toBe(3);
		expect(canSetOnHand(level("A", 5, 2), 2)).toBe(true);
		expect(canSetOnHand(level("A", 5, 2), 1)).toBe(false);
		expect(canSetOnHand(undefined, 0)).toBe(true);
	});
});
