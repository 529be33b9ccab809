export class TransactionListSettings {
  constructor(
    /**
     * How long a list page read for one scope and filter set is served to further callers of the same scope
     * and filters (0: only while it is being read). Scores land asynchronously anyway, so a page a second old
     * is what a caller could have read a moment earlier. Exports always read afresh.
     */
    readonly freshnessMs: number,
    /** The most pages kept at once; the oldest go first. */
    readonly maxPages = 500,
  ) {}
}
