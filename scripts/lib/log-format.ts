/**
 * What `npm start` shows of wrangler's output: each JSON log line as one short readable line, and
 * neither wrangler's own request and queue lines nor anything else that repeats a hop's line. The
 * Workers still write the JSON that Workers Logs and Logpush get; LOG_FORMAT=json shows it as is.
 */

/** Wrangler's lines for requests and queue batches: each hop's own line says the same and more. */
const WRANGLER_HOP = /^\[wrangler:info\] (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|QUEUE) /;
/** Wrangler puts the Worker's name before what the Worker logged: `[order] {...}`. */
const WORKER_LINE = /^(?:\[[\w-]+\] )?(\{.*\})\s*$/;

type Line = Record<string, unknown>;

const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);

/** What the hop was: its span's name, or the event with the message type it was about. */
function what(line: Line): string {
	if (line.event === "request") return `${line.method} ${line.path} ${line.status}`;
	const children = Array.isArray(line.spans) ? (line.spans as Line[]).map((s) => text(s.span)).filter(Boolean) : [];
	if (children.length > 0) return children.join(", ");
	const name = text(line.span) ?? [line.event, line.type].filter(Boolean).join(" ");
	const outcome = line.event === "message.duplicate" ? "duplicate" : text(line.outcome);
	return [name, outcome].filter(Boolean).join(" ");
}

/** A readable line for one line of output, null for one to leave out; lines that are not JSON pass unchanged. */
export function readableLine(raw: string): string | null {
	if (WRANGLER_HOP.test(raw)) return null;
	const json = WORKER_LINE.exec(raw)?.[1];
	let line: Line;
	try {
		line = json ? JSON.parse(json) : null;
	} catch {
		return raw;
	}
	if (!line || typeof line.ts !== "string" || typeof line.service !== "string") return raw;
	const level = line.level === "error" || line.level === "warn" ? String(line.level).toUpperCase() : undefined;
	const traceId = text(line.traceId);
	return [
		line.ts.slice(11, 23),
		line.service.padEnd(9),
		level,
		what(line),
		typeof line.durationMs === "number" ? `${line.durationMs}ms` : undefined,
		text(line.orderId),
		traceId ? `trace ${traceId.slice(0, 8)}` : undefined,
		text(line.reason) ?? text(line.error),
	]
		.filter((part) => part !== undefined && part !== "")
		.join(" ");
}

/** Feeds output that arrives in chunks to `write` as whole readable lines. */
export function readableOutput(write: (text: string) => void): (chunk: string) => void {
	let partial = "";
	return (chunk) => {
		const lines = (partial + chunk).split("\n");
		partial = lines.pop() ?? "";
		const shown = lines.map(readableLine).filter((l) => l !== null);
		if (shown.length > 0) write(`${shown.join("\n")}\n`);
	};
}
