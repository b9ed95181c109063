import { describe, expect, it } from "vitest";
import { openApiDocument } from "./openapi";

describe("OpenAPI document", () => {
	it("is OpenAPI 3.1 with the request schemas generated from the routes' zod schemas", () => {
		const doc = openApiDocument();
		expect(doc.openapi).toBe("3.1.0");
		const place = doc.components.schemas.PlaceOrder as {
			required: string[];
			properties: Record<string, { maxItems?: number }>;
			additionalProperties: boolean;
		};
		expect(place.required).toEqual(expect.arrayContaining(["items", "shippingAddress", "paymentToken"]));
		// The customer is the token's; the body may name it, never require it.
		expect(place.required).not.toContain("customerId");
		expect(Object.keys(place.properties)).toContain("customerId");
		expect(Object.keys(doc.paths["/orders"].post.responses)).toEqual(expect.arrayContaining(["403", "429"]));
		expect(place.properties.items?.maxItems).toBe(100);
		expect(place.additionalProperties).toBe(false);
		expect(Object.keys(doc.paths)).toEqual(
			expect.arrayContaining(["/orders", "/orders/{id}/cancel", "/inventory/{sku}"]),
		);
		expect(JSON.stringify(doc)).not.toMatch(
			/"\$ref":"#\/components\/schemas\/(?!PlaceOrder|StockInput|Stock|Order|Problem)/,
		);
	});
});
