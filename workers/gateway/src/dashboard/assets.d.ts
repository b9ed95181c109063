/** Library files bundled as text (see the Text rule in wrangler.toml). */
declare module "*.min.js" {
	const text: string;
	export default text;
}
declare module "*.min.css" {
	const text: string;
	export default text;
}
declare module "*-min.js" {
	const text: string;
	export default text;
}
