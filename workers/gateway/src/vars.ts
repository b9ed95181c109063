import type { Caller } from "./identity";

/** What the gateway's middleware puts on a request's context. */
export interface GatewayVars {
	traceparent: string;
	/** Set by requireScope: the verified caller. */
	caller: Caller;
}

export type Gateway = { Bindings: GatewayEnv; Variables: GatewayVars };
