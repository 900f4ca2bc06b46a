/** A rejected key pair, tied to the admin API field it came from (`{"<field>": ["<message>"]}`). */
export class KeyPairError extends Error {
  override readonly name = 'KeyPairError'

  constructor(
    readonly field: 'certificate_data' | 'key_data',
    message: string,
  ) {
    super(message)
  }
}
