package dev.tacet;

/**
 * A location fix (tacet_location_fix): WGS 84 degrees, accuracy in metres (&gt;= 0), and when it
 * was taken.
 */
public record LocationFix(double latitudeDeg, double longitudeDeg, double accuracyM, long unixMs) {}
