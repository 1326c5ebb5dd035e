// The vault (the user's personal data with its history), export and the privacy report.
internal import CTacet

extension Agent {
  /// Stores `value` in `category`.`field` (`tacet_vault_set`): a single-valued field that has a
  /// value is corrected (the old one kept in its history), a log-like field gets a new record.
  /// Returns the record id. `.notFound` for a field the policy lacks, `.invalidArgument` for a
  /// value the field refuses, `.permissionDenied` when consent does not allow storing it.
  @discardableResult
  public func setValue(_ value: String, category: String, field: String,
                       source: ChangeSource = .user) throws -> Int64 {
    try setValue(bytes: Array(value.utf8), category: category, field: field, source: source)
  }

  /// As `setValue(_:category:field:source:)`, for a value's bytes.
  @discardableResult
  public func setValue(bytes: [UInt8], category: String, field: String,
                       source: ChangeSource = .user) throws -> Int64 {
    try write(bytes, category: category, field: field, source: source, in: "setValue",
              tacet_vault_set)
  }

  /// Always a new record (`tacet_vault_add`); `.alreadyExists` for a single-valued field that has
  /// one.
  @discardableResult
  public func addValue(_ value: String, category: String, field: String,
                       source: ChangeSource = .user) throws -> Int64 {
    try write(Array(value.utf8), category: category, field: field, source: source, in: "addValue",
              tacet_vault_add)
  }

  /// Replaces record `recordID`'s value, keeping the old one in its history.
  public func correctValue(recordID: Int64, to value: String, source: ChangeSource = .user)
    throws
  {
    try withCBytes(Array(value.utf8)) { pointer, length in
      try check(tacet_vault_correct(handle, recordID, pointer, length, source.c))
    }
  }

  /// Record `recordID`, decrypted. `.notFound`; `.dataLoss` when it does not authenticate.
  public func value(recordID: Int64) throws -> VaultRecord {
    var record: UnsafeMutablePointer<tacet_vault_record>?
    try check(tacet_vault_get(handle, recordID, &record))
    defer { tacet_free(record) }
    guard let record else { throw TacetError(code: .internal, message: "tacet_vault_get: no record") }
    return VaultRecord(record.pointee)
  }

  /// The current records of `category`.`field`, oldest first.
  public func values(category: String, field: String) throws -> [VaultRecord] {
    var list: UnsafeMutablePointer<tacet_vault_record_list>?
    try withCString(category, argument: "category", in: "values") { c in
      try withCString(field, argument: "field", in: "values") { f in
        try check(tacet_vault_list(handle, c, f, &list))
      }
    }
    defer { tacet_free(list) }
    guard let list, let items = list.pointee.items else { return [] }
    return (0..<list.pointee.count).map { VaultRecord(items[$0]) }
  }

  /// Every version of every record of `category`.`field`, by record then version (the last of
  /// each record is its current value).
  public func valueHistory(category: String, field: String) throws -> [VaultVersion] {
    var list: UnsafeMutablePointer<tacet_vault_version_list>?
    try withCString(category, argument: "category", in: "valueHistory") { c in
      try withCString(field, argument: "field", in: "valueHistory") { f in
        try check(tacet_vault_history(handle, c, f, &list))
      }
    }
    defer { tacet_free(list) }
    guard let list, let items = list.pointee.items else { return [] }
    return (0..<list.pointee.count).map { VaultVersion(items[$0]) }
  }

  /// Erases `category` (records and past versions; its data key is destroyed).
  @discardableResult
  public func erase(category: String) throws -> ErasureResult {
    var result = tacet_erasure_result()
    try withCString(category, argument: "category", in: "erase") {
      try check(tacet_vault_erase(handle, $0, &result))
    }
    return ErasureResult(records: result.records, historyEntries: result.history_entries)
  }

  /// Erases every category and the capture access log (the consent history stays).
  @discardableResult
  public func eraseAll() throws -> ErasureResult {
    var result = tacet_erasure_result()
    try check(tacet_vault_erase_all(handle, &result))
    return ErasureResult(records: result.records, historyEntries: result.history_entries)
  }

  /// Checks every stored value against the vault's integrity head and the audit log.
  public func verifyVault() throws { try check(tacet_vault_verify(handle)) }

  /// Runs the retention sweep now (it also runs at open and periodically): deletes every value,
  /// and every recorded event, older than its category's retention period.
  @discardableResult
  public func sweepRetention() throws -> ErasureResult {
    var result = tacet_erasure_result()
    try check(tacet_vault_sweep(handle, &result))
    return ErasureResult(records: result.records, historyEntries: result.history_entries)
  }

  /// Checks the audit log's hash chain.
  public func verifyAudit() throws { try check(tacet_audit_verify(handle)) }

  // MARK: Export and report

  /// Writes the export (JSON, docs/export.md) to a new private file (mode 0600) renamed over
  /// `path` once complete. Refused inside the device folder or key store; `.notFound` for a
  /// missing parent folder.
  @discardableResult
  public func export(toFile path: String) throws -> ExportSummary {
    var summary = tacet_export_summary()
    try withCString(path, argument: "path", in: "export(toFile:)") {
      try check(tacet_export_to_file(handle, $0, &summary))
    }
    return ExportSummary(records: summary.records, historyEntries: summary.history_entries)
  }

  /// The export in memory: the JSON document's bytes.
  public func export() throws -> (json: [UInt8], summary: ExportSummary) {
    var sink: [UInt8] = []
    var summary = tacet_export_summary()
    try withUnsafeMutablePointer(to: &sink) { out in
      try check(tacet_export_to_writer(handle, appendToByteArray, out, &summary))
    }
    return (sink, ExportSummary(records: summary.records, historyEntries: summary.history_entries))
  }

  /// Writes the privacy report (a self-contained HTML page) as `export(toFile:)` does.
  @discardableResult
  public func report(toFile path: String) throws -> ReportSummary {
    var summary = tacet_report_summary()
    try withCString(path, argument: "path", in: "report(toFile:)") {
      try check(tacet_report_to_file(handle, $0, &summary))
    }
    return ReportSummary(records: summary.records, categoriesHeld: summary.categories_held)
  }

  /// The privacy report in memory: the HTML page's bytes.
  public func report() throws -> (html: [UInt8], summary: ReportSummary) {
    var sink: [UInt8] = []
    var summary = tacet_report_summary()
    try withUnsafeMutablePointer(to: &sink) { out in
      try check(tacet_report_to_writer(handle, appendToByteArray, out, &summary))
    }
    return (sink, ReportSummary(records: summary.records, categoriesHeld: summary.categories_held))
  }

  private typealias VaultWrite = (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?,
                                  UnsafePointer<CChar>?, Int, tacet_change_source,
                                  UnsafeMutablePointer<Int64>?) -> tacet_status

  private func write(_ value: [UInt8], category: String, field: String, source: ChangeSource,
                     in fn: String, _ call: VaultWrite) throws -> Int64 {
    var id: Int64 = 0
    try withCString(category, argument: "category", in: fn) { c in
      try withCString(field, argument: "field", in: fn) { f in
        try withCBytes(value) { pointer, length in
          try check(call(handle, c, f, pointer, length, source.c, &id))
        }
      }
    }
    return id
  }
}

/// A tacet_write_fn appending to the [UInt8] its user_data points to (calling thread, during the
/// call).
private func appendToByteArray(_ bytes: UnsafePointer<UInt8>?, _ length: Int,
                               _ userData: UnsafeMutableRawPointer?) -> tacet_status {
  guard let userData else { return TACET_ERR_INTERNAL }
  if let bytes, length > 0 {
    userData.assumingMemoryBound(to: [UInt8].self).pointee
      .append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
  }
  return TACET_OK
}
