import { describe, expect, it } from "vitest";
import { cancellable, canShipTo, legFrom } from "./shipment";

describe("shipment rules", () => {
	it("does not ship to Antarctica", () => {
		expect(canShipTo("AQ")).toBe(false);
		expect(canShipTo("FR")).toBe(true);
	});

	it("moves a shipment scheduled → picked up → in transit → delivered, and no further", () => {
		expect(legFrom("scheduled")?.next).toBe("picked_up");
		expect(legFrom("picked_up")?.next).toBe("in_transit");
		expect(legFrom("in_transit")?.event).toBe("shipping.delivered");
		expect(legFrom("delivered")).toBeUndefined();
		expect(legFrom("cancelled")).toBeUndefined();
	});

	it("lets a pickup be cancelled only before it is confirmed", () => {
		expect(cancellable("scheduled", false)).toBe(true);
		expect(cancellable("scheduled", true)).toBe(false);
		expect(cancellable("picked_up", true)).toBe(false);
	});
});
