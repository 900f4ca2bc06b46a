/**
 * The little of `oidc-provider` (no types of its own; @types/oidc-provider trails its releases) that
 * scripts/bench-oidc-provider.ts uses: the constructor and Koa's `listen`.
 */
declare module 'oidc-provider' {
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    listen(port: number, host: string): unknown
  }
}
