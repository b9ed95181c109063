/**
 * One JSON line per meaningful thing. Workers Logs and Logpush collect console output, so a line
 * is all it takes. The keys are fixed so every service's lines can be queried the same way.
 */
export type Level = "debug" | "info" | "warn" | "error";

export interface LogFields {
	traceId?: string;
	spanId?: string;
	orderId?: string;
	messageId?: string;
	durationMs?: number;
	outcome?: string;
	[extra: string]: unknown;
}

/** Fields that must never reach a log line. */
const REDACTED = new Set(["paymentToken", "authorization", "token", "payload"]);

function write(level: Level, service: string, event: string, fields: LogFields = {}): void {
	const line: Record<string, unknown> = {
		ts: new Date().toISOString(),
		level,
		service,
		event,
	};
	for (const [k, v] of Object.entries(fields)) if (v !== undefined && !REDACTED.has(k)) line[k] = v;
	const out = JSON.stringify(line);
	if (level === "error") console.error(out);
	else if (level === "warn") console.warn(out);
	else console.log(out);
}

export const log = {
	debug: (service: string, event: string, fields?: LogFields) => write("debug", service, event, fields),
	info: (service: string, event: string, fields?: LogFields) => write("info", service, event, fields),
	warn: (service: string, event: string, fields?: LogFields) => write("warn", service, event, fields),
	error: (service: string, event: string, fields?: LogFields) => write("error", service, event, fields),
};
