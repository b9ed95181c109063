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
			expect.arrayContaining([
				"/orders",
				"/orders/{id}/cancel",
				"/inventory/{sku}",
				"/orders/{id}/returns",
				"/returns/{id}",
			]),
		);
		expect(JSON.stringify(doc)).not.toMatch(
			/"\$ref":"#\/components\/schemas\/(?!PlaceOrder|StockInput|Stock|Order|Problem|ReviewInput|Review|ReturnRequest|Return)/,
		);
	});

	it("documents what an order's saga waits for, and the review that decides a held payment", () => {
		const doc = openApiDocument();
		expect(Object.keys(doc.components.schemas.Order.properties)).toContain("waitingFor");
		const review = doc.components.schemas.ReviewInput as unknown as { properties: { decision: { enum: string[] } } };
		expect(review.properties.decision.enum).toEqual(["approve", "decline"]);
		expect(Object.keys(doc.paths["/admin/payments/{orderId}/review"].post.responses)).toEqual(
			expect.arrayContaining(["200", "404", "409"]),
		);
	});
});
