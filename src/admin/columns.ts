/** For each input field, the column it sets; a column that cannot hold the field's value is a type error. */
export type ColumnNames<I, C> = {
  [K in keyof I]?: { [N in keyof C]-?: Exclude<I[K], undefined> extends C[N] ? N : never }[keyof C]
}

/**
 * The columns an input sets, by `names` (`{ scope_name: 'scopeName' }`): each field that is given, under its
 * column's name. A field left out changes nothing, which is what PATCH wants.
 */
export function columnsFrom<I extends object, C extends object>(
  names: ColumnNames<I, C>,
): (input: Partial<I>) => Partial<C> {
  const entries = Object.entries(names) as Array<[string, string]>
  return (input) => {
    const columns: Record<string, unknown> = {}
    for (const [field, column] of entries) {
      const value = (input as Record<string, unknown>)[field]
      if (value !== undefined) columns[column] = value
    }
    return columns as Partial<C>
  }
}
