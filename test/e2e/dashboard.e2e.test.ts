import { mkdirSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	adminToken,
	baseUrl,
	call,
	envelope,
	eventually,
	getOrder,
	history,
	newKey,
	orderBody,
	placeOrder,
	publish,
	restock,
	sagaIdle,
	uniqueSku,
} from "../support/client";

/** The dashboard in real headless Chromium (Debian's, installed by .ci/run). Screenshots go to test-results/. */
let browser: Browser;

beforeAll(async () => {
	browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
		args: [
			"--no-sandbox",
			"--disable-gpu",
			"--disable-background-networking",
			"--disable-component-update",
			"--no-first-run",
		],
	});
	mkdirSync("test-results", { recursive: true });
});
afterAll(async () => {
	await browser?.close();
});

/**
 * The dashboard opened as an admin. `errors` collects the page's uncaught errors and, with
 * `consoleErrors`, what it logs as errors.
 */
async function openDashboard(viewport: { width: number; height: number }, consoleErrors = false) {
	const page = await browser.newPage({ viewport });
	const errors: string[] = [];
	if (consoleErrors) page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
	page.on("pageerror", (e) => errors.push(String(e)));
	await page.goto(`${baseUrl()}/dashboard#token=${await adminToken()}`);
	return { page, errors };
}

/** An order of a fresh SKU whose payment is held for review, once its saga waits for the reviewer. */
async function heldForReview(prefix: string) {
	const sku = uniqueSku(prefix);
	await restock(sku, 3);
	const placed = await placeOrder(orderBody([{ sku, quantity: 1 }], { paymentToken: "tok_review" }));
	await eventually(
		() => getOrder(placed.id),
		(o) => o.waitingFor?.event === "billing.payment-reviewed",
	);
	return { sku, placed };
}

describe("dashboard", () => {
	it("loads without console errors, lists a placed order, and draws its trace across every context", async () => {
		const { page, errors } = await openDashboard({ width: 1400, height: 1000 }, true);

		const sku = uniqueSku("DASH");
		await restock(sku, 3);
		const placed = await placeOrder(orderBody([{ sku, quantity: 1 }]));
		await sagaIdle(placed.id, "delivered");

		const row = page.locator(`tr[data-order="${placed.id}"]`);
		await row.waitFor({ timeout: 15_000 });
		await page.screenshot({ path: "test-results/dashboard.png", fullPage: true });
		await row.click();
		for (const service of ["gateway", "order", "inventory", "billing", "shipping"]) {
			await page.locator(`#waterfall [data-service="${service}"]`).first().waitFor({ timeout: 15_000 });
		}
		await page.locator('#timeline [data-kind="compensation"], #timeline [data-kind="transition"]').first().waitFor();
		await page.locator("#charts [data-chart] canvas").first().waitFor({ timeout: 15_000 });
		await page.screenshot({ path: "test-results/dashboard-order.png", fullPage: true });
		await page.waitForFunction(
			'/delivered: [1-9]/.test(document.querySelector("#counts [data-status=delivered]")?.textContent ?? "")',
			undefined,
			{
				timeout: 15_000,
			},
		);
		expect(errors).toEqual([]);
		await page.close();
	});

	it("lists a dead letter and redrives it with its button, recording the admin who did", async () => {
		const id = uniqueSku("dash-poison");
		const orderId = "ord_000000000000000000000000";
		const poison = envelope({
			id,
			type: "inventory.reserve-stock",
			correlationId: orderId,
			payload: { orderId, lines: [] },
		});
		expect((await publish("inventory-commands", poison)).status).toBe(202);

		const { page, errors } = await openDashboard({ width: 1400, height: 1000 });
		const row = page.locator(`#letters tr[data-letter="inventory-commands:${id}"]`);
		await row.and(page.locator('[data-replayed="no"]')).waitFor({ timeout: 20_000 });
		await page.click("#redrive");
		await row.and(page.locator('[data-replayed="yes"]')).waitFor({ timeout: 10_000 });
		expect(await row.textContent()).toContain("by e2e-admin");
		await page.screenshot({ path: "test-results/dashboard-dead-letters.png", fullPage: true });
		const letter = (
			(await call("GET", "/admin/dead-letters", { as: "admin" })).json.items as Record<string, unknown>[]
		).find((l) => l.messageId === id);
		expect(letter).toMatchObject({ replayedBy: "e2e-admin", replayedAt: expect.any(String) });
		expect(errors).toEqual([]);
		await page.close();
	});

	it("draws a saga held for review as a graph of its steps; Approve in the dashboard delivers the order, the admin in its history", async () => {
		const { sku, placed } = await heldForReview("DASH-REVIEW");
		const { page, errors } = await openDashboard({ width: 1600, height: 1100 });
		await page.locator("#attention tr[data-saga]").first().waitFor({ timeout: 15_000 });
		await page.locator(`tr[data-order="${placed.id}"]`).click({ timeout: 15_000 });
		const step = (name: string, status: string) =>
			page.locator(`#graph [data-step="${name}"][data-status="${status}"]`);
		await step("authorize-payment", "waiting").waitFor({ timeout: 15_000 });
		await step(`reserve-stock[${sku}]`, "succeeded").waitFor();
		expect(await page.locator("#graph g.node").count()).toBe(6);
		expect(await page.locator('#graph [data-step="capture-payment"]').getAttribute("data-status")).toBe("not-sent");
		expect(await page.locator('#graph [data-step="authorize-payment"]').getAttribute("data-waiting")).toBe(
			"billing.payment-reviewed",
		);
		expect(await page.locator("#graph [data-pivot]").getAttribute("data-pivot")).toBe("before");
		await page.screenshot({ path: "test-results/dashboard-saga-graph.png", fullPage: true });

		await page.click("#approve");
		await sagaIdle(placed.id, "delivered");
		await step("capture-payment", "succeeded").waitFor({ timeout: 15_000 });
		await page.locator('#timeline tr[data-kind="event"]', { hasText: "by e2e-admin" }).waitFor({ timeout: 15_000 });
		const reviewed = (await history(placed.id)).find((h) => h.name === "billing.payment-reviewed");
		expect(reviewed?.detail).toMatchObject({ by: "e2e-admin" });
		await page.screenshot({ path: "test-results/dashboard-saga-approved.png", fullPage: true });
		expect(errors).toEqual([]);
		await page.close();
	});

	it("compensates a saga with its button: cancelled with operator_cancelled, the admin recorded", async () => {
		const { sku, placed } = await heldForReview("DASH-UNDO");
		const { page, errors } = await openDashboard({ width: 1600, height: 1100 });
		await page.locator(`tr[data-order="${placed.id}"]`).click({ timeout: 15_000 });
		await page.locator('#graph [data-step="authorize-payment"][data-status="waiting"]').waitFor({ timeout: 15_000 });
		await page.click("#compensate");
		const cancelled = await sagaIdle(placed.id, "cancelled");
		expect(cancelled.failureReason).toBe("operator_cancelled");
		await page.locator(`#graph [data-step="reserve-stock[${sku}]"][data-status="undone"]`).waitFor({ timeout: 15_000 });
		expect((await history(placed.id)).find((h) => h.kind === "operator")).toMatchObject({
			name: "compensate",
			detail: { by: "e2e-admin" },
		});
		expect(errors).toEqual([]);
		await page.close();
	});

	it("lists a return of a delivered order, shows it with its order and opens its timeline", async () => {
		const sku = uniqueSku("DASH-RET");
		await restock(sku, 3, 1250);
		const placed = await placeOrder(orderBody([{ sku, quantity: 2 }]));
		await sagaIdle(placed.id, "delivered", 30_000);
		const requested = await call("POST", `/orders/${placed.id}/returns`, {
			headers: { "idempotency-key": newKey() },
			body: { lines: [{ sku, quantity: 1 }], reason: "does not fit" },
		});
		expect(requested.status, requested.text).toBe(202);
		const returnId = requested.json.id as string;

		const { page, errors } = await openDashboard({ width: 1600, height: 1100 }, true);
		// The admin's list has every customer's returns, from the read model.
		const listed = page.locator(`#returns tr[data-return="${returnId}"][data-return-order="${placed.id}"]`);
		await listed.waitFor({ timeout: 20_000 });
		expect(await listed.textContent()).toContain("1250 EUR");

		// The order shows its returns; picking one draws the return's own history.
		await page.locator(`tr[data-order="${placed.id}"]`).click({ timeout: 15_000 });
		const ofOrder = page.locator(`#order-returns tr[data-order-return="${returnId}"]`);
		await ofOrder.waitFor({ timeout: 15_000 });
		await ofOrder.click();
		await page
			.locator(`#timeline [data-timeline="${returnId}"] tr[data-name="status:requested"]`)
			.waitFor({ timeout: 15_000 });
		await page
			.locator(`#timeline [data-timeline="${returnId}"] tr[data-name="order.authorize-return"]`)
			.first()
			.waitFor();
		expect(await page.locator("#selected").textContent()).toBe(`Return ${returnId} of order ${placed.id}`);
		expect(await page.locator("#actions").isHidden()).toBe(true);
		// Its trace: the request that made it, continued by its commands to every context it calls.
		for (const service of ["gateway", "order", "shipping"]) {
			await page.locator(`#waterfall [data-service="${service}"]`).first().waitFor({ timeout: 15_000 });
		}
		// The return goes on to refunded; the list and the detail follow it.
		await eventually(
			async () => (await call("GET", `/returns/${returnId}`)).json,
			(r) => r.status === "refunded",
			30_000,
		);
		await page.locator(`#returns tr[data-return="${returnId}"][data-status="refunded"]`).waitFor({ timeout: 15_000 });
		await page
			.locator(`#timeline [data-timeline="${returnId}"] tr[data-name="status:refunded"]`)
			.waitFor({ timeout: 15_000 });
		await page.screenshot({ path: "test-results/dashboard-return.png", fullPage: true });

		// Picking it in the list of all returns opens it too, with its order's returns beside it.
		await page.locator(`tr[data-order="${placed.id}"]`).click();
		await page.locator(`#timeline [data-timeline="${placed.id}"]`).waitFor({ timeout: 15_000 });
		await listed.click();
		await page.locator(`#timeline [data-timeline="${returnId}"]`).waitFor({ timeout: 15_000 });
		await page.locator(`#order-returns tr[data-order-return="${returnId}"][data-selected="true"]`).waitFor();
		expect(errors).toEqual([]);
		await page.close();
	});

	it("serves the interactive API docs over the generated OpenAPI document", async () => {
		const doc = await call("GET", "/openapi.json", { as: "none" });
		expect(doc.json.openapi).toBe("3.1.0");
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on("pageerror", (e) => errors.push(String(e)));
		page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
		await page.goto(`${baseUrl()}/docs`);
		// RapiDoc renders into its shadow root once it has fetched and parsed /openapi.json.
		await page.waitForFunction(
			'Boolean(document.querySelector("rapi-doc")?.shadowRoot?.textContent?.includes("Place an order"))',
			undefined,
			{
				timeout: 20_000,
			},
		);
		await page.screenshot({ path: "test-results/docs.png" });
		expect(errors).toEqual([]);
		await page.close();
	});
});
