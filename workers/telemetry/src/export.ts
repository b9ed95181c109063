import { log } from "../../../shared/observability/log";
import { type Span, toOtlp } from "./spans";

const SERVICE = "telemetry";
/** The OTel exporters' default timeout (OTEL_EXPORTER_OTLP_TIMEOUT): a stuck collector cannot hold a Tail invocation longer. */
const EXPORT_TIMEOUT_MS = 10_000;

/**
 * OTLP_HEADERS as the OTel spec's OTEL_EXPORTER_OTLP_HEADERS reads: `key=value` pairs separated by
 * commas, values percent-decoded (so a value may hold a comma or a space), blanks trimmed. A pair
 * that cannot be read is skipped and logged by its key alone: the values are credentials.
 */
export function otlpHeaders(setting: string | undefined): Record<string, string> {
	const headers: Record<string, string> = {};
	for (const pair of (setting ?? "").split(",")) {
		if (pair.trim() === "") continue;
		const at = pair.indexOf("=");
		const key = (at < 0 ? pair : pair.slice(0, at)).trim().toLowerCase();
		let value: string | null = null;
		try {
			value = at < 0 ? null : decodeURIComponent(pair.slice(at + 1).trim());
		} catch {
			// a malformed percent-escape: skipped below like a pair without a value
		}
		if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key) || value === null) {
			log.warn(SERVICE, "otlp.header-invalid", { header: key.slice(0, 40) });
			continue;
		}
		headers[key] = value;
	}
	return headers;
}

/**
 * One OTLP/HTTP JSON request with every span given, to `<endpoint>/v1/traces`. A failure (an
 * answer other than 2xx, no answer, a timeout) is logged and resolved, never thrown: spans are
 * telemetry, and the Tail invocation's other work must not depend on a collector.
 */
export async function exportSpans(endpoint: string, headers: Record<string, string>, spans: Span[]): Promise<void> {
	try {
		const res = await fetch(`${endpoint.replace(/\/$/, "")}/v1/traces`, {
			method: "POST",
			headers: { ...headers, "content-type": "application/json" },
			body: JSON.stringify(toOtlp(spans)),
			signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
		});
		await res.body?.cancel();
		if (!res.ok) log.warn(SERVICE, "otlp.export-failed", { outcome: "error", status: res.status, spans: spans.length });
	} catch (error) {
		log.warn(SERVICE, "otlp.export-failed", { outcome: "error", error: String(error), spans: spans.length });
	}
}
