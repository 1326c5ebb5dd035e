package dev.tacet;

/**
 * What opening a location session would answer now ({@link Agent#locationCheck}): the denial
 * ({@link DenialReason#NONE} when allowed) and the precision fixes would have.
 */
public record LocationCheck(DenialReason denial, LocationPrecision effectivePrecision) {}
