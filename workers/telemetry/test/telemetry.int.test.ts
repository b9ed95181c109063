import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "../../../shared/observability/log";
import { childSpanAt, spanFields } from "../../../shared/observability/span";
import { childSpan, formatTraceparent } from "../../../shared/observability/trace";
import worker from "../src/index";

/** A log line exactly as a Worker writes it (shared/observability/log.ts), captured from the console. */
function line(service: string, event: string, fields: Record<string, unknown>): string {
	const spy = vi.spyOn(console, "log").mockImplementation(() => {});
	try {
		log.info(service, event, fields);
		return spy.mock.calls[0]?.[0] as string;
	} finally {
		spy.mockRestore();
	}
}

/** One trace event of a Worker, shaped as the runtime hands it to a Tail Worker. */
const traceItem = (scriptName: string, lines: string[]): TraceItem =>
	({
		scriptName,
		event: null,
		eventTimestamp: Date.now(),
		logs: lines.map((message) => ({ timestamp: Date.now(), level: "log", message: [message] })),
		exceptions: [],
		diagnosticsChannelEvents: [],
		outcome: "ok",
		truncated: false,
		executionModel: "stateless",
	}) as unknown as TraceItem;

/** A trace of three hops: gateway request → order request → inventory message. */
function threeHops(orderId = "ord_000000000000000000000001", traceId?: string) {
	const root = traceId ? { ...childSpan(null), traceId } : childSpan(null);
	const t0 = Date.now();
	const gateway = line("gateway", "request", {
		...spanFields("POST /orders", null, t0, 30, root),
		orderId,
		outcome: "ok",
	});
	const orderSpan = childSpan(root);
	const order = line("order", "request", {
		...spanFields("POST /orders", formatTraceparent(root), t0 + 2, 20, orderSpan),
		orderId,
		outcome: "ok",
	});
	const inventory = line("inventory", "message.failed", {
		...spanFields("handle inventory.reserve-stock", formatTraceparent(orderSpan), t0 + 5, 4),
		orderId,
		outcome: "error",
	});
	return { traceId: root.traceId, rootSpanId: root.spanId, orderSpanId: orderSpan.spanId, gateway, order, inventory };
}

/** The env's vars are typed as their committed values; a test may set others. */
async function tail(
	items: TraceItem[],
	overrides: {
		OTLP_ENDPOINT?: string;
		OTLP_HEADERS?: string;
		TRACE_SAMPLE_RATE?: string;
		SPAN_STORE_SAMPLE_RATE?: string;
		SPANS?: TelemetryEnv["SPANS"];
	} = {},
) {
	const ctx = createExecutionContext();
	await worker.tail(items, { ...env, ...overrides } as TelemetryEnv, ctx);
	// The store's write of the invocation's window (StoreBuffer) is held open on the context.
	await waitOnExecutionContext(ctx);
}

async function getTrace(traceId: string) {
	const res = await worker.fetch(new Request(`https://telemetry/traces/${traceId}`), env, createExecutionContext());
	return {
		status: res.status,
		type: res.headers.get("content-type"),
		json: (await res.json()) as Record<string, unknown>,
	};
}

/** The span store's namespace, counting the writes made to it and the spans each held; `broken`: every write fails. */
function countingStore(broken = false) {
	const writes: number[] = [];
	const namespace = {
		idFromName: (name: string) => env.SPANS.idFromName(name),
		get: (id: DurableObjectId) => {
			const stub = env.SPANS.get(id);
			return {
				add: (spans: Parameters<typeof stub.add>[0]) => {
					writes.push(spans.length);
					return broken ? Promise.reject(new Error("store unavailable")) : stub.add(spans);
				},
			};
		},
	} as unknown as TelemetryEnv["SPANS"];
	return { namespace, writes };
}

const keptSpans = () =>
	runInDurableObject(
		env.SPANS.get(env.SPANS.idFromName("recent")),
		(_: unknown, state: DurableObjectState) =>
			state.storage.sql.exec<{ n: number | null }>("SELECT SUM(json_array_length(spans)) AS n FROM span_batches").one()
				.n ?? 0,
	);

afterEach(() => vi.restoreAllMocks());

describe("the telemetry Tail Worker", () => {
	it("keeps the spans of its producers' log lines and serves a trace in causal order", async () => {
		const t = threeHops();
		const other = threeHops();
		// Arriving out of order, from three Workers, among lines that carry no span.
		await tail([
			traceItem("inventory", [t.inventory, line("inventory", "stock.low", { sku: "MUG" })]),
			traceItem("gateway", ["not json at all", t.gateway]),
			traceItem("order", [t.order, other.order]),
		]);
		const res = await getTrace(t.traceId);
		expect(res.status).toBe(200);
		const spans = res.json.spans as { service: string; spanId: string; parentSpanId: string | null; status: string }[];
		expect(spans.map((s) => s.service)).toEqual(["gateway", "order", "inventory"]);
		expect(spans[0]).toMatchObject({ spanId: t.rootSpanId, parentSpanId: null, status: "ok" });
		expect(spans[1]).toMatchObject({ parentSpanId: t.rootSpanId });
		expect(spans[2]).toMatchObject({ parentSpanId: t.orderSpanId, status: "error" });
		expect(JSON.stringify(spans)).not.toContain(other.traceId);
	});

	it("answers a trace it does not keep with 404 problem+json", async () => {
		const res = await getTrace("f".repeat(32));
		expect(res.status).toBe(404);
		expect(res.type).toBe("application/problem+json");
		expect(res.json.code).toBe("trace_not_found");
	});

	it("keeps only the newest SPAN_RETENTION spans", async () => {
		const traces = Array.from({ length: 6 }, () => threeHops());
		for (const t of traces) await tail([traceItem("gateway", [t.gateway, t.order, t.inventory])]);
		expect(await keptSpans()).toBe(12);
		expect((await getTrace((traces[0] as (typeof traces)[0]).traceId)).status).toBe(404);
		expect((await getTrace((traces[1] as (typeof traces)[0]).traceId)).status).toBe(404);
		const newest = await getTrace((traces[5] as (typeof traces)[0]).traceId);
		expect(newest.json.spans).toHaveLength(3);
	});

	it("exports the spans as OTLP/HTTP JSON to the collector, grouped by service", async () => {
		const collector = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 200 }));
		const t = threeHops();
		await tail([traceItem("gateway", [t.gateway]), traceItem("order", [t.order, t.inventory])], {
			OTLP_ENDPOINT: "https://collector.test/",
		});
		expect(collector).toHaveBeenCalledTimes(1);
		const [url, init] = collector.mock.calls[0] as [string, RequestInit];
		expect(url).toBe("https://collector.test/v1/traces");
		expect(init.method).toBe("POST");
		const body = JSON.parse(init.body as string) as {
			resourceSpans: {
				resource: { attributes: { key: string; value: { stringValue: string } }[] };
				scopeSpans: { spans: Record<string, unknown>[] }[];
			}[];
		};
		const services = body.resourceSpans.map((r) => r.resource.attributes[0]?.value.stringValue);
		expect(services.sort()).toEqual(["gateway", "inventory", "order"]);
		const exported = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
		expect(exported).toHaveLength(3);
		const failed = exported.find((s) => s.name === "handle inventory.reserve-stock");
		expect(failed).toMatchObject({ traceId: t.traceId, parentSpanId: t.orderSpanId, status: { code: 2 } });
		expect(BigInt(failed?.endTimeUnixNano as string) - BigInt(failed?.startTimeUnixNano as string)).toBe(4_000_000n);
	});

	it("still keeps the spans when the collector fails, and says so", async () => {
		vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("down", { status: 503 }));
		const warn = vi.spyOn(console, "warn");
		const t = threeHops();
		await tail([traceItem("gateway", [t.gateway])], { OTLP_ENDPOINT: "https://collector.test" });
		expect((await getTrace(t.traceId)).status).toBe(200);
		expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringContaining('"event":"otlp.export-failed"')]);
	});

	it("calls no collector when none is set", async () => {
		const collector = vi.spyOn(globalThis, "fetch");
		const t = threeHops();
		await tail([traceItem("gateway", [t.gateway])]);
		expect(collector).not.toHaveBeenCalled();
		expect((await getTrace(t.traceId)).status).toBe(200);
	});

	it("writes every span of one Tail invocation to the store at once, and exports them in one call", async () => {
		const collector = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 200 }));
		const store = countingStore();
		const [a, b] = [threeHops(), threeHops()];
		// A saga object's line: no span of its own, the transitions its call made as child spans.
		const decided = line("order", "saga.decided", {
			orderId: "ord_000000000000000000000001",
			spans: [
				childSpanAt(
					"transition status:pending",
					formatTraceparent({ traceId: a.traceId, spanId: a.orderSpanId, flags: "01" }),
					Date.now(),
				),
				childSpanAt(
					"transition status:confirmed",
					formatTraceparent({ traceId: a.traceId, spanId: a.orderSpanId, flags: "01" }),
					Date.now(),
				),
			],
		});
		await tail(
			[
				traceItem("gateway", [a.gateway, b.gateway]),
				traceItem("order", [a.order, decided, b.order]),
				traceItem("inventory", [a.inventory, b.inventory]),
			],
			{ SPANS: store.namespace, OTLP_ENDPOINT: "https://collector.test" },
		);
		expect(store.writes).toEqual([8]);
		expect(collector).toHaveBeenCalledTimes(1);
		const spans = (await getTrace(a.traceId)).json.spans as { name: string; parentSpanId: string | null }[];
		expect(spans).toHaveLength(5);
		expect(spans.filter((s) => s.name.startsWith("transition "))).toEqual([
			expect.objectContaining({ name: "transition status:pending", parentSpanId: a.orderSpanId }),
			expect.objectContaining({ name: "transition status:confirmed", parentSpanId: a.orderSpanId }),
		]);
	});

	it("writes the spans of the Tail invocations of one window to the store at once", async () => {
		const store = countingStore();
		const [a, b, c] = [threeHops(), threeHops(), threeHops()];
		// Three invocations arriving together, as a busy system's do: one write, not three.
		await Promise.all([
			tail([traceItem("gateway", [a.gateway, b.gateway])], { SPANS: store.namespace }),
			tail([traceItem("order", [a.order])], { SPANS: store.namespace }),
			tail([traceItem("inventory", [a.inventory, c.inventory])], { SPANS: store.namespace }),
		]);
		expect(store.writes).toEqual([5]);
		expect((await getTrace(a.traceId)).json.spans).toHaveLength(3);
		// The next invocation opens a window of its own.
		await tail([traceItem("order", [b.order])], { SPANS: store.namespace });
		expect(store.writes).toEqual([5, 1]);
	});

	it("keeps and exports a sampled trace whole and another not at all, by TRACE_SAMPLE_RATE", async () => {
		const collector = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 200 }));
		// The rate is compared with the last 8 hex digits of the id: the first is kept at 0.5, the second is not.
		const kept = threeHops(undefined, `${"1".repeat(24)}00000001`);
		const dropped = threeHops(undefined, `${"1".repeat(24)}fffffffe`);
		const settings = { TRACE_SAMPLE_RATE: "0.5", OTLP_ENDPOINT: "https://collector.test" };
		await tail([traceItem("gateway", [kept.gateway, dropped.gateway])], settings);
		await tail([traceItem("order", [dropped.order, kept.order, dropped.inventory, kept.inventory])], settings);
		expect(((await getTrace(kept.traceId)).json.spans as unknown[]).length).toBe(3);
		expect((await getTrace(dropped.traceId)).status).toBe(404);
		const exported = collector.mock.calls.map(([, init]) => String((init as RequestInit).body));
		expect(exported).toHaveLength(2);
		expect(exported.every((body) => body.includes(kept.traceId) && !body.includes(dropped.traceId))).toBe(true);
	});

	it("writes nothing and calls no collector when no trace of the invocation is sampled", async () => {
		const collector = vi.spyOn(globalThis, "fetch");
		const store = countingStore();
		const t = threeHops();
		await tail([traceItem("gateway", [t.gateway, t.order, t.inventory])], {
			TRACE_SAMPLE_RATE: "0",
			OTLP_ENDPOINT: "https://collector.test",
			SPANS: store.namespace,
		});
		expect(store.writes).toEqual([]);
		expect(collector).not.toHaveBeenCalled();
	});

	it("sends the collector the OTLP_HEADERS secret's headers, percent-decoded, with one request per invocation", async () => {
		const collector = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 200 }));
		const [a, b] = [threeHops(), threeHops()];
		await tail([traceItem("gateway", [a.gateway, b.gateway]), traceItem("order", [a.order, b.order])], {
			OTLP_ENDPOINT: "https://collector.test/otlp",
			OTLP_HEADERS: "Authorization=Bearer%20s3cr%3Dt, x-scope-orgid = tenant-1",
		});
		expect(collector).toHaveBeenCalledTimes(1);
		const [url, init] = collector.mock.calls[0] as [string, RequestInit];
		expect(url).toBe("https://collector.test/otlp/v1/traces");
		expect(init.headers).toEqual({
			authorization: "Bearer s3cr=t",
			"x-scope-orgid": "tenant-1",
			"content-type": "application/json",
		});
		expect(String(init.body)).toContain(a.traceId);
		expect(String(init.body)).toContain(b.traceId);
	});

	it("keeps in the store only SPAN_STORE_SAMPLE_RATE of the traces it exports, and none at 0", async () => {
		const collector = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 200 }));
		const store = countingStore();
		// The rate is compared with the last 8 hex digits of the id: the first is kept at 0.5, the second is not.
		const stored = threeHops(undefined, `${"2".repeat(24)}00000001`);
		const exportedOnly = threeHops(undefined, `${"2".repeat(24)}fffffffe`);
		const lines = [stored.gateway, exportedOnly.gateway, stored.order, exportedOnly.order];
		const otlp = { OTLP_ENDPOINT: "https://collector.test", SPANS: store.namespace };
		await tail([traceItem("gateway", lines)], { ...otlp, SPAN_STORE_SAMPLE_RATE: "0.5" });
		expect(store.writes).toEqual([2]);
		expect(((await getTrace(stored.traceId)).json.spans as unknown[]).length).toBe(2);
		expect((await getTrace(exportedOnly.traceId)).status).toBe(404);

		const off = threeHops();
		await tail([traceItem("gateway", [off.gateway, off.order])], { ...otlp, SPAN_STORE_SAMPLE_RATE: "0" });
		expect(store.writes).toEqual([2]);
		expect((await getTrace(off.traceId)).status).toBe(404);
		const bodies = collector.mock.calls.map(([, init]) => String((init as RequestInit).body));
		expect(bodies).toHaveLength(2);
		expect(bodies[0]).toContain(exportedOnly.traceId);
		expect(bodies[1]).toContain(off.traceId);
	});

	it("still keeps the spans when the collector cannot be reached at all", async () => {
		vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
		const warn = vi.spyOn(console, "warn");
		const t = threeHops();
		await tail([traceItem("gateway", [t.gateway, t.order])], { OTLP_ENDPOINT: "https://collector.test" });
		expect(((await getTrace(t.traceId)).json.spans as unknown[]).length).toBe(2);
		const failed = warn.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>);
		expect(failed).toEqual([
			expect.objectContaining({
				event: "otlp.export-failed",
				error: expect.stringContaining("Network connection lost"),
			}),
		]);
	});

	it("still exports the spans when the store write fails, and logs the failure instead of throwing", async () => {
		const collector = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("{}", { status: 200 }));
		const error = vi.spyOn(console, "error");
		const t = threeHops();
		await tail([traceItem("gateway", [t.gateway])], {
			OTLP_ENDPOINT: "https://collector.test",
			SPANS: countingStore(true).namespace,
		});
		expect(collector).toHaveBeenCalledTimes(1);
		const [, init] = collector.mock.calls[0] as [string, RequestInit];
		expect(String(init.body)).toContain(t.traceId);
		expect(error.mock.calls.map((c) => String(c[0]))).toEqual([
			expect.stringContaining('"event":"spans.store-failed"'),
		]);
	});
});
