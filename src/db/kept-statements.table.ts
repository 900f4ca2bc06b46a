// Written by `npm run db:kept` (scripts/kept-statements.ts): the keys of the statements that have a kept function.
export const KEPT_STATEMENTS: ReadonlySet<string> = new Set([
  '187bb322489e0d93',
  '2aa68442e28a3a2c',
  '340c592cc10d3615',
  '3f186cd0f81589dc',
  '4b71338413b355d3',
  '51ca92513dff475c',
  '60e7aa7dca48a979',
  '6cf373490c229d15',
  '7388b5a44f232bbc',
  '8de3333a4d24b7ce',
  '934432fd44792566',
  'b6d28db89cbddbc5',
])
