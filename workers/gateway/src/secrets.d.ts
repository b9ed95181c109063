/** Secrets are not in wrangler.toml, so `wrangler types` cannot see them. */
interface GatewayEnv {
	CUSTOMER_TOKEN: string;
	ADMIN_TOKEN: string;
}
