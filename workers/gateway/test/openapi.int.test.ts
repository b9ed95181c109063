import { describe, expect, it } from "vitest";
import { ADMIN, call } from "./gateway";

interface Doc {
	openapi: string;
	paths: Record<string, Record<string, unknown>>;
}

const example = (path: string) =>
	path
		.replace(/^\/returns\/\{id\}/, `/returns/ret_${"0".repeat(24)}`)
		.replace("{id}", `ord_${"0".repeat(24)}`)
		.replace("{orderId}", `ord_${"0".repeat(24)}`)
		.replace("{sku}", "NONE");

describe("the OpenAPI document", () => {
	it("is served at /openapi.json without a token", async () => {
		const res = await call("GET", "/openapi.json");
		expect(res.status).toBe(200);
		expect(res.json.openapi).toBe("3.1.0");
	});

	it("lists only routes the gateway has: none of them answers the router's 404", async () => {
		const doc = (await call("GET", "/openapi.json")).json as unknown as Doc;
		const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
			Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
		);
		expect(operations.length).toBeGreaterThan(8);
		for (const [method, path] of operations) {
			const res = await call(method, example(path), { auth: ADMIN, headers: { "idempotency-key": "doc" } });
			expect(res.json.code, `${method} ${path}`).not.toBe("not_found");
		}
	});
});
