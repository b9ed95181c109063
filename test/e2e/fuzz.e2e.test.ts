import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { baseUrl, call, tokens } from "../support/client";

/**
 * Property: whatever a client sends, the gateway answers with a 4xx problem+json (or a success),
 * never a 5xx, and a rejected request stores nothing.
 */
const RUNS = 10_000;

const text = fc.oneof(
	fc.string({ maxLength: 40 }),
	fc.string({ unit: "grapheme", maxLength: 20 }),
	fc.constantFrom(
		"",
		" ",
		"../",
		"%00",
		"null",
		"ord_",
		"ord_zzzzzzzzzzzzzzzzzzzzzzzz",
		"MUG-CLASSIC",
		"a".repeat(300),
	),
);
const jsonValue = fc.oneof(
	fc.jsonValue({ maxDepth: 3 }),
	fc.anything({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v) ?? "null")),
);
const orderLike = fc.record(
	{
		customerId: fc.oneof(text, jsonValue),
		items: fc.oneof(
			fc.array(
				fc.record(
					{
						sku: fc.oneof(text, jsonValue),
						quantity: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), jsonValue),
					},
					{ requiredKeys: [] },
				),
				{ maxLength: 3 },
			),
			jsonValue,
		),
		shippingAddress: fc.oneof(
			fc.record(
				{
					name: text,
					line1: text,
					city: text,
					postalCode: text,
					country: fc.oneof(text, fc.constantFrom("FR", "AQ", "fr", "FRA")),
				},
				{ requiredKeys: [] },
			),
			jsonValue,
		),
		paymentToken: fc.oneof(text, jsonValue),
	},
	{ requiredKeys: [] },
);
const body = fc.oneof(
	orderLike.map((v) => ({ raw: JSON.stringify(v), type: "application/json" })),
	jsonValue.map((v) => ({ raw: JSON.stringify(v), type: "application/json" })),
	fc.string({ maxLength: 200 }).map((raw) => ({ raw, type: "application/json" })),
	fc
		.tuple(
			fc.string({ maxLength: 50 }),
			fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "", "application/xml"),
		)
		.map(([raw, type]) => ({ raw, type })),
	fc.constant(undefined),
);
const segment = text.map((t) => encodeURIComponent(t));
const path = fc.oneof(
	fc.constant("/orders"),
	segment.map((s) => `/orders/${s}`),
	segment.map((s) => `/orders/${s}/history`),
	segment.map((s) => `/orders/${s}/cancel`),
	segment.map((s) => `/inventory/${s}`),
	segment.map((s) => `/payments/${s}`),
	segment.map((s) => `/shipments/${s}`),
	fc
		.tuple(text, text, text)
		.map(
			([a, b, c]) =>
				`/orders?status=${encodeURIComponent(a)}&limit=${encodeURIComponent(b)}&cursor=${encodeURIComponent(c)}`,
		),
	segment.map((s) => `/admin/queues/${s}/messages`),
	segment.map((s) => `/admin/dead-letters/${s}/replay`),
	segment.map((s) => `/${s}`),
);
const token = fc.oneof(
	fc.constant<"customer" | "admin" | "none">("customer"),
	fc.constant<"customer" | "admin" | "none">("admin"),
	fc.constant<"customer" | "admin" | "none">("none"),
	text.map((t) => ({ token: t.replace(/[^\x21-\x7e]/g, "") || "x" })),
);
const request = fc.record({
	method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
	path,
	body,
	token,
	key: fc.option(fc.oneof(text, fc.uuid()), { nil: undefined }),
});

async function sha256Hex(s: string): Promise<string> {
	const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
	return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("fuzzing every public endpoint", () => {
	it(`answers ${RUNS} generated requests with 2xx or a 4xx problem, never a 5xx, and stores nothing it rejects`, async () => {
		const samples = fc.sample(request, { numRuns: RUNS, seed: 20261125 });
		const rejectedOrderKeys: { principal: string; key: string }[] = [];
		let served = 0;
		const statuses = new Map<number, number>();
		for (let i = 0; i < samples.length; i += 32) {
			await Promise.all(
				samples.slice(i, i + 32).map(async (r) => {
					const headers: Record<string, string> = {};
					if (r.key !== undefined) headers["idempotency-key"] = r.key.replace(/[^\x20-\x7e]/g, "?");
					if (r.body?.type) headers["content-type"] = r.body.type;
					const sendsBody = r.body !== undefined && r.method !== "GET";
					const res = await call(r.method, r.path, {
						as: r.token,
						headers,
						rawBody: sendsBody ? r.body?.raw : undefined,
					});
					statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
					served++;
					expect(res.status, `${r.method} ${r.path} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
					if (res.status >= 400) {
						expect(res.headers.get("content-type")).toBe("application/problem+json");
						expect(res.json).toMatchObject({ status: res.status, code: expect.any(String) });
						if (
							r.method === "POST" &&
							r.path === "/orders" &&
							headers["idempotency-key"] &&
							typeof r.token === "string" &&
							r.token !== "none"
						) {
							rejectedOrderKeys.push({ principal: r.token, key: headers["idempotency-key"] });
						}
					}
				}),
			);
		}
		expect(served).toBe(RUNS);
		// Nothing stored for a rejected order: the id its key would have made does not exist.
		for (const { principal, key } of rejectedOrderKeys.slice(0, 300)) {
			const id = `ord_${(await sha256Hex(`${principal}:${key}`)).slice(0, 24)}`;
			const res = await fetch(`${baseUrl()}/orders/${id}`, { headers: { authorization: `Bearer ${tokens().admin}` } });
			expect(res.status, `order ${id} for rejected key ${key}`).toBe(404);
		}
		console.log(
			`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; rejected orders checked: ${Math.min(300, rejectedOrderKeys.length)}`,
		);
	}, 300_000);
});
