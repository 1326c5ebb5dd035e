package dev.tacet;

/** What an export held (tacet_export_summary). */
public record ExportSummary(long records, long historyEntries) {}
