/** What the gateway's middleware puts on a request's context. */
export interface GatewayVars {
	traceparent: string;
	principal: string;
}

export type Gateway = { Bindings: GatewayEnv; Variables: GatewayVars };
