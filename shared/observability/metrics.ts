/**
 * RED metrics (rate, errors, duration) per route and per message type, kept per isolate and
 * rendered in the Prometheus text format. Where a Workers Analytics Engine binding named METRICS
 * is present (production), each observation is also written there as a data point.
 */
const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

interface Series {
	labels: Record<string, string>;
	count: number;
	errors: number;
	sumMs: number;
	buckets: number[];
}

const families: Record<"request" | "message", Map<string, Series>> = { request: new Map(), message: new Map() };

export interface AnalyticsEngine {
	writeDataPoint(point: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

export function observe(
	family: "request" | "message",
	labels: Record<string, string>,
	durationMs: number,
	error: boolean,
	analytics?: AnalyticsEngine,
): void {
	const key = JSON.stringify(labels);
	let s = families[family].get(key);
	if (!s) {
		s = { labels, count: 0, errors: 0, sumMs: 0, buckets: BUCKETS_MS.map(() => 0) };
		families[family].set(key, s);
	}
	s.count++;
	if (error) s.errors++;
	s.sumMs += durationMs;
	for (const [i, le] of BUCKETS_MS.entries()) if (durationMs <= le) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
	analytics?.writeDataPoint({
		blobs: [family, ...Object.values(labels)],
		doubles: [durationMs, error ? 1 : 0],
		indexes: [labels.service ?? family],
	});
}

const label = (labels: Record<string, string>, extra: Record<string, string> = {}) =>
	`{${Object.entries({ ...labels, ...extra })
		.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
		.join(",")}}`;

/** The Prometheus text exposition of every series this isolate has seen. */
export function renderMetrics(): string {
	const lines: string[] = [];
	for (const [family, series] of Object.entries(families)) {
		const name = family === "request" ? "edge_saga_http_requests" : "edge_saga_messages";
		lines.push(`# HELP ${name}_total ${family === "request" ? "HTTP requests handled" : "Queue messages handled"}.`);
		lines.push(`# TYPE ${name}_total counter`);
		for (const s of series.values()) lines.push(`${name}_total${label(s.labels)} ${s.count}`);
		lines.push(
			`# HELP ${name}_errors_total Of those, the ones that failed (5xx, or a message retried or dead-lettered).`,
		);
		lines.push(`# TYPE ${name}_errors_total counter`);
		for (const s of series.values()) lines.push(`${name}_errors_total${label(s.labels)} ${s.errors}`);
		lines.push(`# HELP ${name}_duration_ms How long handling took.`);
		lines.push(`# TYPE ${name}_duration_ms histogram`);
		for (const s of series.values()) {
			for (const [i, le] of BUCKETS_MS.entries())
				lines.push(`${name}_duration_ms_bucket${label(s.labels, { le: String(le) })} ${s.buckets[i]}`);
			lines.push(`${name}_duration_ms_bucket${label(s.labels, { le: "+Inf" })} ${s.count}`);
			lines.push(`${name}_duration_ms_sum${label(s.labels)} ${s.sumMs}`);
			lines.push(`${name}_duration_ms_count${label(s.labels)} ${s.count}`);
		}
	}
	return `${lines.join("\n")}\n`;
}

/** Series only, without HELP and TYPE lines: for adding another service's exposition to this one. */
export const seriesLines = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));
