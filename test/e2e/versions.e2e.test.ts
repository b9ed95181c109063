import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "../../scripts/lib/api.ts";
import { type LocalIdentity, loadOrCreateIdentity, mintToken } from "../../scripts/lib/identity.ts";
import { freePort, type Stack, startStack } from "../../scripts/lib/stack.ts";
import { eventually } from "../support/client";

/**
 * Placement saga versions side by side, switched the way an operator does it: a system of its own
 * is started with PLACEMENT_SAGA_VERSION=1 and takes an order that stays running (its payment held
 * for review), then is stopped and started again on the same state with the setting empty, so the
 * newest version is current. The version 1 order finishes on version 1 beside a new one on the newest.
 */
let stack: Stack | undefined;
let state: string;
let identity: LocalIdentity;

beforeAll(async () => {
	state = mkdtempSync(join(tmpdir(), "edge-saga-versions-"));
	identity = await loadOrCreateIdentity(join(state, "identity"));
});
afterAll(async () => {
	await stack?.stop();
	rmSync(state, { recursive: true, force: true });
});

async function start(workerVars: Record<string, string> = {}) {
	stack = await startStack({ port: await freePort(), persistTo: state, identity, workerVars });
	return new Api(stack.url, await mintToken(identity, { customerId: "versions-admin", admin: true }));
}

type Order = { status: string; saga: { version: number }; waitingFor: unknown };
type Versions = { current: number; versions: { version: number | null; active: number }[] };
const activeOn = (v: Versions, version: number) => v.versions.find((x) => x.version === version)?.active ?? 0;

async function place(admin: Api, key: string, paymentToken: string) {
	const res = await admin.request(
		"POST",
		"/orders",
		{
			items: [{ sku: "VERSIONS-SKU", quantity: 1 }],
			shippingAddress: { name: "V", line1: "1 Test St", city: "Paris", postalCode: "75001", country: "FR" },
			paymentToken,
		},
		{ "idempotency-key": key },
	);
	expect(res.status, res.text).toBe(202);
	return (res.json as { id: string }).id;
}

describe("placement saga versions side by side", () => {
	it("finishes an order started on version 1 after the newest version became current", {
		timeout: 240_000,
	}, async () => {
		let admin = await start({ PLACEMENT_SAGA_VERSION: "1" });
		expect((await admin.request("PUT", "/inventory/VERSIONS-SKU", { onHand: 10, unitPrice: 900 })).status).toBe(200);
		const old = await place(admin, "versions-old", "tok_review");
		const held = await eventually(
			() => admin.get<Order>(`/orders/${old}`),
			(o) => o.waitingFor !== null,
		);
		expect(held.saga.version).toBe(1);
		await stack?.stop();

		// The operator's switch: the same state, the setting empty.
		admin = await start();
		const { current } = await admin.get<Versions>("/admin/sagas/versions");
		expect(current).toBeGreaterThan(1);
		const fresh = await place(admin, "versions-new", "tok_visa");
		expect((await admin.get<Order>(`/orders/${fresh}`)).saga.version).toBe(current);
		// The old order's news was in a local queue when the runtime stopped: it is told again once the
		// order has been quiet for NEWS_REPUBLISH_MS (30 s), and the read model counts it then.
		await eventually(
			() => admin.get<Versions>("/admin/sagas/versions"),
			(v) => activeOn(v, 1) === 1,
			60_000,
		);

		const review = await admin.request("POST", `/admin/payments/${old}/review`, { decision: "approve" });
		expect(review.status, review.text).toBe(200);
		for (const id of [old, fresh])
			await eventually(
				() => admin.get<Order>(`/orders/${id}`),
				(o) => o.status === "delivered",
				60_000,
			);
		expect((await admin.get<Order>(`/orders/${old}`)).saga.version).toBe(1);
		// Version 1 reserves the order's stock in one command, the newest line by line.
		const sent = async (id: string) =>
			(await admin.get<{ entries: { kind: string; name: string }[] }>(`/orders/${id}/history`)).entries
				.filter((e) => e.kind === "command")
				.map((e) => e.name);
		expect(await sent(old)).toContain("inventory.reserve-stock");
		expect(await sent(fresh)).toContain("inventory.reserve-line");
		// Nothing runs on version 1 any more: the count an operator retires it by.
		await eventually(
			() => admin.get<Versions>("/admin/sagas/versions"),
			(v) => activeOn(v, 1) === 0,
		);
	});
});
