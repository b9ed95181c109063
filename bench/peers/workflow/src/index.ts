/**
 * The placement saga written as a Cloudflare Workflow, as its own users would write it: the same
 * three contexts, step graph, compensations and deterministic failures as the OrderSaga (version
 * 2). Stock, payment and pickup are three `step.do`s in one `Promise.allSettled`; after the pivot,
 * capture, commit and confirm are three `step.do`s in one `Promise.all`. Each step calls the same
 * `Commands` RPC entrypoint of the context that the OrderSaga's outbox calls. The order's status
 * lives in a PeerOrder Durable Object (a Workflow cannot be read mid-run), written at creation, at
 * the pivot and at the end, so both systems are measured to the same moment: the order confirmed.
 * The placement waits on that object for the outcome and answers with it, as ours answers with its
 * first pass's.
 */
import { DurableObject, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import { NonRetryableError } from "cloudflare:workflows";
import { Hono } from "hono";
import type { CommandService } from "../../../../shared/commands";
import type { Envelope } from "../../../../shared/envelope";
import { usage } from "../../../../shared/observability/usage";

interface Params {
	orderId: string;
	lines: { sku: string; quantity: number }[];
	amount: number;
	address: { name: string; line1: string; city: string; postalCode: string; country: string };
	paymentToken: string;
	traceparent: string;
}

type Status = "pending" | "confirmed" | "cancelled";

export class PeerOrder extends DurableObject {
	/** Requests waiting for the status to move (`settled`); woken by each `set`. */
	private readonly waiting: (() => void)[] = [];

	async set(status: Status, failureReason?: string) {
		await this.ctx.storage.put({ status, failureReason: failureReason ?? null });
		for (const wake of this.waiting.splice(0)) wake();
	}
	async get(): Promise<{ status: string; failureReason: string | null } | null> {
		const map = await this.ctx.storage.get<string | null>(["status", "failureReason"]);
		return map.size ? { status: String(map.get("status")), failureReason: map.get("failureReason") ?? null } : null;
	}
	/**
	 * The status once it is no longer pending, or as it is after `ms`: the placement answers with the
	 * outcome the Workflow reaches meanwhile, as ours does, instead of its client polling for it.
	 */
	async settled(ms: number) {
		const until = Date.now() + ms;
		for (;;) {
			const order = await this.get();
			if (order?.status !== "pending" || Date.now() >= until) return order;
			await new Promise<void>((wake) => {
				this.waiting.push(wake);
				setTimeout(wake, until - Date.now());
			});
		}
	}
}

const RETRIES = {
	retries: { limit: 4, delay: "1 second" as const, backoff: "exponential" as const },
	timeout: "30 seconds" as const,
};
const UNDO_RETRIES = { retries: { limit: 10, delay: "1 second" as const, backoff: "exponential" as const } };
const FOREVER = { retries: { limit: 20, delay: "1 second" as const, backoff: "exponential" as const } };

/**
 * wrangler types cannot see another config's entrypoint class, so the bindings arrive untyped;
 * they are the same `Commands` entrypoints the OrderSaga's outbox calls.
 */
const contexts = (env: PeerEnv) => ({
	inventory: env.INVENTORY as unknown as CommandService,
	billing: env.BILLING as unknown as CommandService,
	shipping: env.SHIPPING as unknown as CommandService,
});

async function command(service: CommandService, p: Params, type: string, payload: unknown, id: string) {
	const envelope: Envelope = {
		id,
		type,
		version: 1,
		occurredAt: new Date().toISOString(),
		source: "workflow-peer",
		correlationId: p.orderId,
		causationId: null,
		traceparent: p.traceparent,
		payload,
	};
	const result = await service.execute(envelope);
	// The context dead-lettered it: retrying cannot make it apply.
	if (result.outcome === "poison") throw new NonRetryableError(`${type}: ${result.reason ?? "not applicable"}`);
	const reply = result.replies[0] as Envelope<{ reason?: string }> | undefined;
	// A payment under review answers later: the step retries until it has an answer.
	if (!reply) throw new Error(`${type}: no answer yet`);
	return reply;
}

const peerOrder = (env: PeerEnv, id: string) => env.PEER_ORDERS.get(env.PEER_ORDERS.idFromName(id));

interface Forward {
	name: string;
	service: CommandService;
	type: string;
	payload: unknown;
	ok: string;
	failure: string;
	undo: string;
}

/** The placement's steps: three before the pivot, each with its undo, and three after it. */
function placementSteps(env: PeerEnv, p: Params) {
	const { inventory, billing, shipping } = contexts(env);
	const forward: Forward[] = [
		{
			name: "reserve-stock",
			service: inventory,
			type: "inventory.reserve-stock",
			payload: { orderId: p.orderId, lines: p.lines },
			ok: "inventory.stock-reserved",
			failure: "out_of_stock",
			undo: "inventory.release-stock",
		},
		{
			name: "authorize-payment",
			service: billing,
			type: "billing.authorize-payment",
			payload: { orderId: p.orderId, amount: p.amount, currency: "EUR", paymentToken: p.paymentToken },
			ok: "billing.payment-authorized",
			failure: "payment_declined",
			undo: "billing.void-payment",
		},
		{
			name: "schedule-pickup",
			service: shipping,
			type: "shipping.schedule-pickup",
			payload: { orderId: p.orderId, address: p.address },
			ok: "shipping.pickup-scheduled",
			failure: "shipping_unavailable",
			undo: "shipping.cancel-pickup",
		},
	];
	const afterPivot: [string, CommandService, string][] = [
		["capture-payment", billing, "billing.capture-payment"],
		["commit-stock", inventory, "inventory.commit-stock"],
		["confirm-pickup", shipping, "shipping.confirm-pickup"],
	];
	// Stock is kept per SKU: inventory's whole-order release and commit name the lines (the other contexts drop them).
	const ref = { orderId: p.orderId, lines: p.lines };
	return { forward, afterPivot, ref };
}

/** A command sent from inside a step: counted, so each attempt of a step is one step run. */
function stepCommand(...args: Parameters<typeof command>) {
	usage.count("workflowSteps");
	return command(...args);
}

export class PlacementWorkflow extends WorkflowEntrypoint<PeerEnv, Params> {
	override async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
		const p = event.payload;
		const { forward, afterPivot, ref } = placementSteps(this.env, p);
		// allSettled, not all: on a failure every other branch must have finished (or given up) before
		// the compensations are chosen, or one still in flight could take effect after its undo.
		const settled = await Promise.allSettled(
			forward.map((f) =>
				step.do(f.name, RETRIES, async () => {
					const r = await stepCommand(f.service, p, f.type, f.payload, `${p.orderId}.${f.name}`);
					return { type: r.type, reason: r.payload.reason ?? null };
				}),
			),
		);
		const outcomes = forward.map((f, i) => {
			const s = settled[i] as PromiseSettledResult<{ type: string }>;
			if (s.status === "fulfilled")
				return s.value.type === f.ok ? { f, failed: false, undo: true } : { f, failed: f.failure, undo: false };
			// A step that gave up may have taken effect with its answer lost: only a rejection is authoritative.
			return { f, failed: s.reason instanceof Error ? s.reason.message : "failed", undo: true };
		});
		const failed = outcomes.find((o) => o.failed !== false);
		if (failed) {
			const reason = String(failed.failed);
			await Promise.all(
				outcomes
					.filter((o) => o.undo)
					.map(({ f }) =>
						step.do(
							`undo ${f.name}`,
							UNDO_RETRIES,
							async () => (await stepCommand(f.service, p, f.undo, ref, `${p.orderId}.${f.name}.undo`)).type,
						),
					),
			);
			await step.do("cancelled", async () => peerOrder(this.env, p.orderId).set("cancelled", reason));
			return { status: "cancelled", reason };
		}
		await step.do("confirm", async () => {
			usage.count("workflowSteps");
			await peerOrder(this.env, p.orderId).set("confirmed");
		});
		await Promise.all(
			afterPivot.map(([name, service, type]) =>
				step.do(name, FOREVER, async () => (await stepCommand(service, p, type, ref, `${p.orderId}.${name}`)).type),
			),
		);
		return { status: "confirmed" };
	}
}

const app = new Hono<{ Bindings: PeerEnv }>();

interface PlaceBody {
	orderId: string;
	items: { sku: string; quantity: number; unitPrice: number }[];
	shippingAddress: Params["address"];
	paymentToken: string;
}

/** Same body and pricing as the gateway's POST /orders (the bench sends priced lines in `unitPrice`). */
const paramsOf = (body: PlaceBody, traceparent: string | undefined): Params => ({
	orderId: body.orderId,
	lines: body.items.map(({ sku, quantity }) => ({ sku, quantity })),
	amount: body.items.reduce((s, i) => s + i.quantity * i.unitPrice, 0),
	address: body.shippingAddress,
	paymentToken: body.paymentToken,
	traceparent: traceparent ?? "00-00000000000000000000000000000001-0000000000000001-01",
});

/** How long a placement waits for its Workflow to reach the pivot before it answers pending. */
const SETTLED_WAIT_MS = 10_000;

app.post("/orders", async (c) => {
	const params = paramsOf(await c.req.json<PlaceBody>(), c.req.header("traceparent"));
	usage.count("workerRequests");
	await peerOrder(c.env, params.orderId).set("pending");
	await c.env.PLACEMENT.create({ id: params.orderId, params });
	const order = await peerOrder(c.env, params.orderId).settled(SETTLED_WAIT_MS);
	return c.json({ id: params.orderId, status: order?.status ?? "pending" }, 202);
});

/**
 * The contexts' own cost, the floor under any orchestrator of them: the same six commands, in the
 * same groups, called straight from the request with nothing kept (no status, no history, no
 * retry, no compensation). Not a way to run orders: the bench measures it to tell what an
 * orchestrator adds from what the contexts cost whoever calls them.
 */
app.post("/contexts-only/orders", async (c) => {
	const p = paramsOf(await c.req.json<PlaceBody>(), c.req.header("traceparent"));
	usage.count("workerRequests");
	const { forward, afterPivot, ref } = placementSteps(c.env, p);
	const replies = await Promise.all(
		forward.map((f) => command(f.service, p, f.type, f.payload, `${p.orderId}.${f.name}`)),
	);
	const failed = forward.find((f, i) => replies[i]?.type !== f.ok);
	if (failed) return c.json({ id: p.orderId, status: "cancelled", reason: failed.failure }, 409);
	// Answered at the pivot, as both systems answer: the steps after it go on after the answer.
	c.executionCtx.waitUntil(
		Promise.all(afterPivot.map(([name, service, type]) => command(service, p, type, ref, `${p.orderId}.${name}`))),
	);
	return c.json({ id: p.orderId, status: "confirmed" });
});

app.get("/admin/usage", (c) => c.json({ service: "workflow-peer", ...usage.snapshot() }));

app.get("/orders/:id", async (c) => {
	const order = await peerOrder(c.env, c.req.param("id")).get();
	return order ? c.json({ id: c.req.param("id"), ...order }) : c.json({ code: "order_not_found" }, 404);
});

export default app;
