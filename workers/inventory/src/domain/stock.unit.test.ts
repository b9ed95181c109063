import { describe, expect, it } from "vitest";
import { available, canReserve, canSetOnHand, quantitiesBySku, type StockLevel, wholeOrderVerdict } from "./stock";

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

	it("reserves a line only from available stock; an unknown SKU is short", () => {
		expect(canReserve(level("A", 5, 1), 4)).toBe(true);
		expect(canReserve(level("A", 5, 1), 5)).toBe(false);
		expect(canReserve(undefined, 1)).toBe(false);
	});

	it("a whole order is reserved all or nothing: a refused line names its SKU and sends the reserved ones back", () => {
		expect(wholeOrderVerdict([{ sku: "A", reserved: true }])).toEqual({ reserved: true });
		expect(
			wholeOrderVerdict([
				{ sku: "A", reserved: true },
				{ sku: "B", reserved: false, reason: "out_of_stock" },
				{ sku: "C", reserved: false, reason: "out_of_stock" },
			]),
		).toEqual({ reserved: false, reason: "out_of_stock", short: ["B", "C"], release: ["A"] });
		// Released before it arrived (a cancel overtook it): refused for that reason, nothing short.
		expect(wholeOrderVerdict([{ sku: "A", reserved: false, reason: "released" }])).toEqual({
			reserved: false,
			reason: "released",
			short: [],
			release: [],
		});
	});

	it("never lets on-hand stock fall below what is reserved", () => {
		expect(available(level("A", 5, 2))).toBe(3);
		expect(canSetOnHand(level("A", 5, 2), 2)).toBe(true);
		expect(canSetOnHand(level("A", 5, 2), 1)).toBe(false);
		expect(canSetOnHand(undefined, 0)).toBe(true);
	});
});
