import { describe, expect, it } from "vitest";
import { ADMIN, CUSTOMER, call, orderBody } from "./gateway";

const PROBLEM = "application/problem+json";
const KEY = { "idempotency-key": "edge-test-key" };

describe("the gateway's own answers", () => {
	it("answers /health without a token", async () => {
		const res = await call("GET", "/health");
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ status: "ok", service: "gateway" });
	});

	it("answers an unknown route 404 in problem+json", async () => {
		const res = await call("GET", "/no/such/thing", { auth: ADMIN });
		expect(res.status).toBe(404);
		expect(res.headers.get("content-type")).toBe(PROBLEM);
		expect(res.json).toMatchObject({ status: 404, code: "not_found", type: "/problems/not_found" });
	});

	it("returns its span in a traceparent of the caller's trace", async () => {
		const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
		const res = await call("GET", "/openapi.json", { headers: { traceparent: caller } });
		const [, traceId, spanId] = (res.headers.get("traceparent") ?? "").split("-");
		expect(traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
		expect(spanId).not.toBe("00f067aa0ba902b7");
	});
});

describe("authentication", () => {
	it.each([
		["no token", undefined],
		["a wrong token", "Bearer not-a-token"],
		["another scheme", "Basic dGVzdC1jdXN0b21lci10b2tlbg=="],
	])("answers 401 problem+json to %s", async (_, auth) => {
		const res = await call("GET", "/orders", { auth });
		expect(res.status).toBe(401);
		expect(res.headers.get("content-type")).toBe(PROBLEM);
		expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
		expect(res.json).toMatchObject({ status: 401, code: "unauthorized" });
	});

	it.each([
		["GET", "/admin/dead-letters"],
		["PUT", "/inventory/MUG"],
		["GET", "/admin/usage"],
	])("answers 403 problem+json to a customer on %s %s", async (method, path) => {
		const res = await call(method, path, {
			auth: CUSTOMER,
			body: method === "PUT" ? { onHand: 1, unitPrice: 1 } : undefined,
		});
		expect(res.status).toBe(403);
		expect(res.headers.get("content-type")).toBe(PROBLEM);
		expect(res.json).toMatchObject({ status: 403, code: "forbidden" });
	});
});

describe("POST /orders before anything is forwarded", () => {
	it("refuses a body over 64 KiB with 413, whatever it says", async () => {
		const res = await call("POST", "/orders", {
			auth: CUSTOMER,
			headers: KEY,
			raw: `"${"x".repeat(64 * 1024)}"`,
			body: {},
		});
		expect(res.status).toBe(413);
		expect(res.json).toMatchObject({ code: "payload_too_large" });
	});

	it("refuses a body that is not JSON with 415", async () => {
		const res = await call("POST", "/orders", {
			auth: CUSTOMER,
			headers: { ...KEY, "content-type": "text/plain" },
			raw: JSON.stringify(orderBody("MUG")),
		});
		expect(res.status).toBe(415);
		expect(res.json).toMatchObject({ code: "unsupported_media_type" });
	});

	it("refuses malformed JSON with 400", async () => {
		const res = await call("POST", "/orders", { auth: CUSTOMER, headers: KEY, raw: '{"customerId": ', body: {} });
		expect(res.status).toBe(400);
		expect(res.json).toMatchObject({ code: "malformed_json" });
	});

	it("refuses an order that does not fit the schema with 422 and says where", async () => {
		const body = { ...orderBody("MUG"), items: [], unexpected: true };
		const res = await call("POST", "/orders", { auth: CUSTOMER, headers: KEY, body });
		expect(res.status).toBe(422);
		expect(res.headers.get("content-type")).toBe(PROBLEM);
		expect(res.json.code).toBe("validation_failed");
		const paths = (res.json.errors as { path: string }[]).map((e) => e.path);
		expect(paths).toEqual(expect.arrayContaining(["items"]));
		expect(JSON.stringify(res.json)).not.toContain("tok_visa");
	});

	it("needs an Idempotency-Key: 400 without one, 400 for one that is not visible ASCII", async () => {
		const missing = await call("POST", "/orders", { auth: CUSTOMER, body: orderBody("MUG") });
		expect(missing.status).toBe(400);
		expect(missing.json).toMatchObject({ code: "idempotency_key_missing" });
		const invalid = await call("POST", "/orders", {
			auth: CUSTOMER,
			headers: { "idempotency-key": "has space" },
			body: orderBody("MUG"),
		});
		expect(invalid.status).toBe(400);
		expect(invalid.json).toMatchObject({ code: "idempotency_key_invalid" });
	});

	it("refuses an order id that is not one before asking the order Worker", async () => {
		const res = await call("GET", "/orders/not-an-order-id", { auth: CUSTOMER });
		expect(res.status).toBe(422);
		expect(res.json).toMatchObject({ code: "validation_failed" });
	});
});
