// Written by `npm run db:kept` (scripts/kept-statements.ts): the keys of the statements that have a kept function.
export const KEPT_STATEMENTS: ReadonlySet<string> = new Set([
  '2844d0ec22403dd8',
  '39b316ffeb1abc3f',
  '59503f882b7671ed',
  '636b8e7eb1853924',
  '717e989074078a4f',
  '92a71f443f8badb4',
  'ac623883dc8deb65',
  'b5a8a773252f2837',
  'c05287de71f90a20',
  'c67b6ea7f70af7cb',
  'f12b6e1361ca7124',
  'f4380ed9e2300924',
])
