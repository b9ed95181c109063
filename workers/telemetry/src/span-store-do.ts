import { SqlObject } from "../../../shared/durable/sql-object";
import { setting } from "../../../shared/settings";
import { causalOrder, type Span } from "./spans";

const MIGRATIONS = [
	`CREATE TABLE spans (seq INTEGER PRIMARY KEY AUTOINCREMENT, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT,
		service TEXT NOT NULL, name TEXT NOT NULL, start TEXT NOT NULL, duration_ms REAL NOT NULL, status TEXT NOT NULL, order_id TEXT);
	CREATE INDEX spans_by_trace ON spans (trace_id, start);
	CREATE INDEX spans_by_order ON spans (order_id);`,
];

type Row = {
	trace_id: string;
	span_id: string;
	parent_span_id: string | null;
	service: string;
	name: string;
	start: string;
	duration_ms: number;
	status: string;
	order_id: string | null;
};

/** How many spans are kept when SPAN_RETENTION is not set. */
export const DEFAULT_SPAN_RETENTION = 50_000;
/** Beyond what a batch adds, the most spans one batch trims, so a lowered SPAN_RETENTION is reached over a few batches. */
const TRIM_CHUNK = 1_000;

/** Recent spans, newest kept: a bounded store for the API and the dashboard, not an archive. */
export class SpanStore extends SqlObject<TelemetryEnv> {
	constructor(ctx: DurableObjectState, env: TelemetryEnv) {
		super(ctx, env, MIGRATIONS);
	}

	async add(spans: Span[]): Promise<void> {
		this.ctx.storage.transactionSync(() => {
			for (const s of spans) {
				this.sql.exec(
					"INSERT INTO spans (trace_id, span_id, parent_span_id, service, name, start, duration_ms, status, order_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
					s.traceId,
					s.spanId,
					s.parentSpanId,
					s.service,
					s.name,
					s.start,
					s.durationMs,
					s.status,
					s.orderId,
				);
			}
			const keep = setting(this.env, "SPAN_RETENTION", DEFAULT_SPAN_RETENTION);
			// seq only grows and only the oldest are deleted, so a range of seq bounds the work.
			this.sql.exec(
				"DELETE FROM spans WHERE seq <= MIN((SELECT MAX(seq) FROM spans) - ?, (SELECT MIN(seq) FROM spans) + ?)",
				keep,
				spans.length + TRIM_CHUNK,
			);
		});
	}

	/** Not named `trace`: that is a handler name the runtime reserves (the legacy Tail Worker handler). */
	async spansOf(traceId: string): Promise<Span[]> {
		return causalOrder(
			this.sql.exec<Row>("SELECT * FROM spans WHERE trace_id = ? ORDER BY start, seq", traceId).toArray().map(toSpan),
		);
	}
}

const toSpan = (r: Row): Span => ({
	traceId: r.trace_id,
	spanId: r.span_id,
	parentSpanId: r.parent_span_id,
	service: r.service,
	name: r.name,
	start: r.start,
	durationMs: r.duration_ms,
	status: r.status,
	orderId: r.order_id,
});
