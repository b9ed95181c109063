import { SqlObject } from "../../../shared/durable/sql-object";
import { setting } from "../../../shared/settings";
import { causalOrder, type Span } from "./spans";

const MIGRATIONS = [
	`CREATE TABLE spans (seq INTEGER PRIMARY KEY AUTOINCREMENT, trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_span_id TEXT,
		service TEXT NOT NULL, name TEXT NOT NULL, start TEXT NOT NULL, duration_ms REAL NOT NULL, status TEXT NOT NULL, order_id TEXT);
	CREATE INDEX spans_by_trace ON spans (trace_id, start);
	CREATE INDEX spans_by_order ON spans (order_id);`,
	// One row per trace per batch instead of a row (and two index entries) per span: a recent store
	// loses nothing worth a rewrite by starting empty.
	`DROP TABLE spans;
	CREATE TABLE span_batches (upto INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, spans TEXT NOT NULL);
	CREATE INDEX span_batches_by_trace ON span_batches (trace_id);`,
];

/** How many spans are kept when SPAN_RETENTION is not set. */
export const DEFAULT_SPAN_RETENTION = 50_000;
/** Beyond what a batch adds, the most spans one batch trims, so a lowered SPAN_RETENTION is reached over a few batches. */
const TRIM_CHUNK = 1_000;

/**
 * Recent spans, newest kept: a bounded store for the API and the dashboard, not an archive. A
 * batch's spans of one trace are one row, numbered by `upto`, the count of spans stored up to and
 * including it, so keeping the newest N spans is deleting a range of the key.
 */
export class SpanStore extends SqlObject<TelemetryEnv> {
	constructor(ctx: DurableObjectState, env: TelemetryEnv) {
		super(ctx, env, MIGRATIONS);
	}

	async add(spans: Span[]): Promise<void> {
		const byTrace = new Map<string, Span[]>();
		for (const s of spans) {
			const ofTrace = byTrace.get(s.traceId);
			if (ofTrace) ofTrace.push(s);
			else byTrace.set(s.traceId, [s]);
		}
		this.ctx.storage.transactionSync(() => {
			let upto = this.sql.exec<{ upto: number | null }>("SELECT MAX(upto) AS upto FROM span_batches").one().upto ?? 0;
			for (const [traceId, ofTrace] of byTrace) {
				upto += ofTrace.length;
				this.sql.exec(
					"INSERT INTO span_batches (upto, trace_id, spans) VALUES (?, ?, ?)",
					upto,
					traceId,
					JSON.stringify(ofTrace),
				);
			}
			// A batch is kept or dropped whole: the store holds the newest SPAN_RETENTION spans, give or take one batch.
			const keep = setting(this.env, "SPAN_RETENTION", DEFAULT_SPAN_RETENTION);
			this.sql.exec(
				"DELETE FROM span_batches WHERE upto <= MIN(? - ?, (SELECT MIN(upto) FROM span_batches) + ?)",
				upto,
				keep,
				spans.length + TRIM_CHUNK,
			);
		});
	}

	/** Not named `trace`: that is a handler name the runtime reserves (the legacy Tail Worker handler). */
	async spansOf(traceId: string): Promise<Span[]> {
		const batches = this.sql
			.exec<{ spans: string }>("SELECT spans FROM span_batches WHERE trace_id = ? ORDER BY upto", traceId)
			.toArray();
		return causalOrder(batches.flatMap((b) => JSON.parse(b.spans) as Span[]));
	}
}
