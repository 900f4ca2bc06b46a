import * as z from 'zod'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A uuid primary key in the URL; anything else is simply not found. */
export function uuidLookup(name: string) {
  return { name, schema: z.uuid(), parse: (raw: string): string | null => (UUID.test(raw) ? raw.toLowerCase() : null) }
}

/** An integer primary key in the URL (authentik's users and providers). */
export function intLookup(name: string) {
  return {
    name, schema: z.number().int(),
    parse: (raw: string): number | null => (/^\d{1,9}$/.test(raw) ? Number(raw) : null),
  }
}

/** A slug in the URL (applications, sources). */
export function slugLookup(name: string) {
  return { name, schema: z.string(), parse: (raw: string): string | null => (raw === '' ? null : raw) }
}
