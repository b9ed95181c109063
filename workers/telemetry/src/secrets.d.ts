/** Secrets: set with `wrangler secret put`, so not in wrangler.toml and not in the generated types. */
interface TelemetryEnv {
	/** OTLP/HTTP headers for the collector (its credentials), `k=v,k2=v2` as OTEL_EXPORTER_OTLP_HEADERS. */
	OTLP_HEADERS?: string;
}
