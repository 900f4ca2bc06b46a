// The only entry point to @peculiar/x509: its dependency tsyringe needs the Reflect metadata API loaded
// first (ESM evaluates imports in order); then the library is pointed at the global WebCrypto.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(crypto)

/** @peculiar/x509 (RFC 5280 certificates), ready to use; import it from here, never directly. */
export { x509 }
