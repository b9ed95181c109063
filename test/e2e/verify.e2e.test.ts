import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "../../scripts/lib/api.ts";
import { loadOrCreateIdentity, mintToken } from "../../scripts/lib/identity.ts";
import { freePort, ROOT, type Stack, startStack } from "../../scripts/lib/stack.ts";
import { envelope, eventually } from "../support/client";

/**
 * `npm run verify` as an operator runs it, against a system of its own (the suite's shared one
 * holds dead letters other tests make on purpose): it fails with nothing to check, passes a
 * healthy system, and fails by rule name once the system is sabotaged through its admin API.
 */
let stack: Stack;
let state: string;
let admin: Api;

beforeAll(async () => {
	state = mkdtempSync(join(tmpdir(), "edge-saga-verify-"));
	const identity = await loadOrCreateIdentity(join(state, "identity"));
	stack = await startStack({ port: await freePort(), persistTo: state, identity });
	admin = new Api(stack.url, await mintToken(identity, { customerId: "verify-admin", admin: true }));
});
afterAll(async () => {
	await stack?.stop();
	rmSync(state, { recursive: true, force: true });
});

async function verify(): Promise<{ code: number; out: string }> {
	const env = { ...process.env, EDGE_SAGA_URL: stack.url, ADMIN_TOKEN: admin.token };
	try {
		const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, "scripts/verify.ts")], { env });
		return { code: 0, out: stdout };
	} catch (error) {
		const failed = error as { code: number; stdout: string; stderr: string };
		return { code: failed.code, out: `${failed.stdout}${failed.stderr}` };
	}
}
const failed = (out: string) => [...out.matchAll(/^(\S+)\s+FAIL\b/gm)].map((m) => m[1]);

async function place(key: string, paymentToken: string, sku: string) {
	const res = await admin.request(
		"POST",
		"/orders",
		{
			items: [{ sku, quantity: 1 }],
			shippingAddress: { name: "V", line1: "1 Test St", city: "Paris", postalCode: "75001", country: "FR" },
			paymentToken,
		},
		{ "idempotency-key": key },
	);
	expect(res.status, res.text).toBe(202);
	return (res.json as { id: string }).id;
}

const publish = async (queue: string, message: unknown) =>
	expect((await admin.request("POST", `/admin/queues/${queue}/messages`, message)).status).toBe(202);

describe("npm run verify", () => {
	it("fails with nothing to check, passes a healthy system, and names each rule a sabotage breaks", async () => {
		const empty = await verify();
		expect(empty.code, empty.out).toBe(1);
		expect(failed(empty.out)).toEqual(["read-model-complete"]);

		const sku = "VERIFY-SKU";
		expect((await admin.request("PUT", `/inventory/${sku}`, { onHand: 10, unitPrice: 700 })).status).toBe(200);
		const ids = [await place("v-1", "tok_visa", sku), await place("v-2", "tok_decline", sku)];
		for (const [id, status] of [
			[ids[0], "delivered"],
			[ids[1], "cancelled"],
		])
			await eventually(
				() => admin.get<{ status: string }>(`/orders/${id}`),
				(o) => o.status === status,
			);
		const healthy = await eventually(verify, (r) => r.code === 0);
		expect(healthy.out).toMatch(/checked 2 orders/);

		// A message no consumer can apply: dead-lettered, and only that rule fails.
		const orderId = "ord_0123456789abcdef01234567";
		await publish(
			"inventory-commands",
			envelope({
				id: "verify-poison",
				type: "inventory.reserve-stock",
				correlationId: orderId,
				payload: { orderId, lines: [] },
			}),
		);
		const poisoned = await eventually(verify, (r) => r.code === 1);
		expect(failed(poisoned.out)).toEqual(["no-dead-letters"]);

		// Stock reserved for an order that does not exist: inventory and the orders disagree.
		await publish(
			"inventory-commands",
			envelope({
				id: "verify-phantom",
				type: "inventory.reserve-stock",
				correlationId: orderId,
				payload: { orderId, lines: [{ sku, quantity: 1 }] },
			}),
		);
		const phantom = await eventually(verify, (r) => failed(r.out).includes("stock-conserved"));
		expect(phantom.code).toBe(1);
		expect(failed(phantom.out)).toEqual(["stock-conserved", "no-dead-letters", "read-model-complete"]);
		expect(phantom.out).toMatch(/1 still reserved while idle/);
	}, 180_000);
});
