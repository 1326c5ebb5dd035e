package dev.tacet;

/** What a privacy report covered (tacet_report_summary). */
public record ReportSummary(long records, long categoriesHeld) {}
